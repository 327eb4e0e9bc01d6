//! Single-neuron response motifs and the condition-independent signal of a population, from
//! condition-averaged activity (Kao 2019; science.md, pipeline 1).
//!
//! - A unit is **delay-tuned** when its late-delay rate depends on the target: the variance of its
//!   per-condition means exceeds `tuning_ratio` times its mean within-condition variance across
//!   trials (a one-way ANOVA F ratio), and the range of its condition means is a visible fraction
//!   (`min_range`) of the population's.
//! - A unit's movement response is **multiphasic** when its condition-averaged rate during the
//!   movement has at least two prominent extrema (peaks or troughs) in most conditions: an
//!   extremum counts when it stands out from the rate on both sides by `prominence` times the
//!   unit's range over the movement.
//! - The **condition-independent fraction** is the share of the variance of condition-averaged
//!   activity (about each unit's grand mean) carried by the cross-condition mean over time
//!   (Kaufman et al. 2016).

/// Thresholds of the motif criteria.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotifCriteria {
    pub tuning_ratio: f64,
    pub min_range: f64,
    pub prominence: f64,
}

impl Default for MotifCriteria {
    fn default() -> Self {
        MotifCriteria {
            tuning_ratio: 4.0,
            min_range: 0.05,
            prominence: 0.2,
        }
    }
}

/// Per unit: whether it is delay-tuned. `per_condition[c]` holds the trials of condition c, each a
/// vector of the units' late-delay rates.
pub fn delay_tuned(
    per_condition: &[Vec<Vec<f64>>],
    units: usize,
    criteria: &MotifCriteria,
) -> Result<Vec<bool>, String> {
    let groups: Vec<&Vec<Vec<f64>>> = per_condition.iter().filter(|g| !g.is_empty()).collect();
    if groups.len() < 2 {
        return Err("delay tuning needs trials of at least two conditions".into());
    }
    if groups
        .iter()
        .flat_map(|g| g.iter())
        .any(|row| row.len() != units || row.iter().any(|v| !v.is_finite()))
    {
        return Err(format!("every trial needs {units} finite rates"));
    }
    let means: Vec<Vec<f64>> = groups.iter().map(|g| column_means(g, units)).collect();
    let ranges: Vec<f64> = (0..units).map(|u| spread(means.iter().map(|m| m[u]))).collect();
    let population_range = ranges.iter().copied().fold(0.0, f64::max);
    Ok((0..units)
        .map(|u| {
            let grand = means.iter().map(|m| m[u]).sum::<f64>() / means.len() as f64;
            let between = means.iter().map(|m| (m[u] - grand).powi(2)).sum::<f64>() / (means.len() - 1) as f64;
            let (mut within, mut dof) = (0.0, 0usize);
            for (g, m) in groups.iter().zip(&means) {
                within += g.iter().map(|row| (row[u] - m[u]).powi(2)).sum::<f64>();
                dof += g.len().saturating_sub(1);
            }
            let within = if dof > 0 { within / dof as f64 } else { 0.0 };
            let visible = population_range > 0.0 && ranges[u] >= criteria.min_range * population_range;
            visible && between > criteria.tuning_ratio * within.max(1e-12)
        })
        .collect())
}

/// Number of prominent extrema (peaks and troughs) of a trace; prominence is relative to its range.
pub fn prominent_extrema(trace: &[f64], prominence: f64) -> usize {
    let range = spread(trace.iter().copied());
    if trace.len() < 3 || range <= 0.0 {
        return 0;
    }
    let needed = prominence * range;
    let mut count = 0;
    for i in 1..trace.len() - 1 {
        let v = trace[i];
        let is_peak = v >= trace[i - 1] && v > trace[i + 1];
        let is_trough = v <= trace[i - 1] && v < trace[i + 1];
        if !(is_peak || is_trough) {
            continue;
        }
        // Prominence: how far the trace must travel, on each side, before passing beyond v.
        let side = |range: &mut dyn Iterator<Item = &f64>| -> f64 {
            let mut extreme = v;
            for &w in range {
                if (is_peak && w > v) || (is_trough && w < v) {
                    break;
                }
                extreme = if is_peak { extreme.min(w) } else { extreme.max(w) };
            }
            (v - extreme).abs()
        };
        let left = side(&mut trace[..i].iter().rev());
        let right = side(&mut trace[i + 1..].iter());
        if left.min(right) >= needed {
            count += 1;
        }
    }
    count
}

/// Per unit: whether its movement response is multiphasic in most conditions. `traces[c]` is
/// condition c's movement-epoch activity, T x units row-major.
pub fn multiphasic(traces: &[Vec<f64>], units: usize, criteria: &MotifCriteria) -> Result<Vec<bool>, String> {
    if traces.is_empty() || units == 0 {
        return Err("multiphasic responses need at least one condition and one unit".into());
    }
    let steps = traces[0].len() / units;
    if steps < 3
        || traces
            .iter()
            .any(|t| t.len() != steps * units || t.iter().any(|v| !v.is_finite()))
    {
        return Err(format!(
            "every condition needs the same T >= 3 steps of {units} finite rates"
        ));
    }
    Ok((0..units)
        .map(|u| {
            let with_two = traces
                .iter()
                .filter(|t| {
                    let trace: Vec<f64> = (0..steps).map(|s| t[s * units + u]).collect();
                    prominent_extrema(&trace, criteria.prominence) >= 2
                })
                .count();
            2 * with_two > traces.len()
        })
        .collect())
}

/// The share of condition-averaged variance carried by the cross-condition mean. `conditions[c]`
/// is T x units row-major, the same T for every condition.
pub fn condition_independent_fraction(conditions: &[Vec<f64>], units: usize) -> Result<f64, String> {
    if conditions.len() < 2 || units == 0 {
        return Err("the condition-independent fraction needs at least two conditions".into());
    }
    let len = conditions[0].len();
    if len == 0
        || !len.is_multiple_of(units)
        || conditions
            .iter()
            .any(|c| c.len() != len || c.iter().any(|v| !v.is_finite()))
    {
        return Err(format!(
            "every condition needs the same number of steps of {units} finite rates"
        ));
    }
    let n = conditions.len() as f64;
    let mean_over_conditions: Vec<f64> = (0..len)
        .map(|i| conditions.iter().map(|c| c[i]).sum::<f64>() / n)
        .collect();
    let steps = len / units;
    let grand: Vec<f64> = (0..units)
        .map(|u| (0..steps).map(|s| mean_over_conditions[s * units + u]).sum::<f64>() / steps as f64)
        .collect();
    let (mut independent, mut total) = (0.0, 0.0);
    for i in 0..len {
        let u = i % units;
        independent += n * (mean_over_conditions[i] - grand[u]).powi(2);
        total += conditions.iter().map(|c| (c[i] - grand[u]).powi(2)).sum::<f64>();
    }
    Ok(if total > 0.0 { independent / total } else { f64::NAN })
}

fn column_means(rows: &[Vec<f64>], units: usize) -> Vec<f64> {
    let mut mean = vec![0.0; units];
    for row in rows {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v / rows.len() as f64);
    }
    mean
}

fn spread(values: impl Iterator<Item = f64>) -> f64 {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi >= lo { hi - lo } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn tuned_units_are_found_and_untuned_ones_are_not() {
        // Unit 0: rate = cos(target angle) + noise. Unit 1: noise only. Unit 2: constant.
        let mut rng = Rng::derive(1, "tuning");
        let per_condition: Vec<Vec<Vec<f64>>> = (0..8)
            .map(|c| {
                let angle = c as f64 * std::f64::consts::PI / 4.0;
                (0..30)
                    .map(|_| vec![angle.cos() + 0.1 * rng.normal(), 0.1 * rng.normal(), 0.5])
                    .collect()
            })
            .collect();
        let tuned = delay_tuned(&per_condition, 3, &MotifCriteria::default()).unwrap();
        assert_eq!(tuned, [true, false, false]);
        assert!(delay_tuned(&per_condition[..1], 3, &MotifCriteria::default()).is_err());
    }

    #[test]
    fn extrema_are_counted_by_prominence() {
        let biphasic: Vec<f64> = (0..50)
            .map(|t| (t as f64 / 49.0 * 2.0 * std::f64::consts::PI).sin())
            .collect();
        assert_eq!(prominent_extrema(&biphasic, 0.2), 2);
        let ramp: Vec<f64> = (0..50).map(|t| t as f64).collect();
        assert_eq!(prominent_extrema(&ramp, 0.2), 0);
        let mut wiggly = ramp.clone();
        wiggly[20] += 0.5; // a bump far below 20 % of the range does not count
        assert_eq!(prominent_extrema(&wiggly, 0.2), 0);
        let monophasic: Vec<f64> = (0..50).map(|t| (-(t as f64 - 25.0).powi(2) / 50.0).exp()).collect();
        assert_eq!(prominent_extrema(&monophasic, 0.2), 1);
    }

    #[test]
    fn multiphasic_needs_two_extrema_in_most_conditions() {
        let steps = 40;
        let traces: Vec<Vec<f64>> = (0..4)
            .map(|c| {
                (0..steps)
                    .flat_map(|t| {
                        let x = t as f64 / (steps - 1) as f64;
                        let two_phase = (2.0 * std::f64::consts::PI * x + c as f64 * 0.1).sin();
                        let one_phase = (-(x - 0.5).powi(2) * 20.0).exp();
                        [two_phase, one_phase]
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            multiphasic(&traces, 2, &MotifCriteria::default()).unwrap(),
            [true, false]
        );
    }

    #[test]
    fn condition_independent_fraction_has_known_values() {
        let steps = 20;
        // Every condition the same time course: all variance is condition-independent.
        let same: Vec<Vec<f64>> = (0..4).map(|_| (0..steps).map(|t| (t as f64).sin()).collect()).collect();
        assert!((condition_independent_fraction(&same, 1).unwrap() - 1.0).abs() < 1e-12);
        // Conditions differ only by a constant offset that averages to zero, with no time course:
        // nothing is condition-independent.
        let offsets: Vec<Vec<f64>> = [-1.0, 1.0].iter().map(|&o| vec![o; steps]).collect();
        assert!(condition_independent_fraction(&offsets, 1).unwrap().abs() < 1e-12);
        // Equal parts: a shared time course s(t) and a condition term of the same variance.
        let s: Vec<f64> = (0..steps).map(|t| if t % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let half: Vec<Vec<f64>> = [-1.0, 1.0].iter().map(|&o| s.iter().map(|v| v + o).collect()).collect();
        assert!((condition_independent_fraction(&half, 1).unwrap() - 0.5).abs() < 1e-12);
        assert!(condition_independent_fraction(&half[..1], 1).is_err());
    }
}
