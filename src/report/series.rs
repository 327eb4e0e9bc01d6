//! The data series a declared figure draws from one stage instance's tables, or from a whole
//! sweep family (`Plot::AcrossSweep`).

use super::columns::{labels, numbers, select, select_excluding};
use crate::figure::{Columns, Figure, Plot};
use crate::numerics::pca::{Pca, pca};
use arrow_array::RecordBatch;
use std::collections::BTreeMap;

/// One stage instance's tables for a figure, labelled by its sweep coordinates.
pub struct Member {
    pub label: String,
    /// The sweep coordinates, name and value.
    pub coords: Vec<(String, String)>,
    /// The figure's own table.
    pub batch: RecordBatch,
    /// The table it draws under it (`Plot::PointsOverPaths`), if any.
    pub backdrop: Option<RecordBatch>,
}

pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub line: bool,
    /// Context drawn in light grey under the data (one legend entry for all of them).
    pub muted: bool,
    /// A band drawn behind the line: (x, low, high), e.g. the interval of a mean over seeds.
    pub band: Vec<(f64, f64, f64)>,
}

impl Series {
    pub fn new(name: String, points: Vec<(f64, f64)>, line: bool) -> Series {
        Series {
            name,
            points,
            line,
            muted: false,
            band: Vec::new(),
        }
    }
}

/// The series one member's table gives for a figure, with bar categories where it has some.
pub fn series_of(fig: &Figure, member: &Member) -> (Vec<Series>, Vec<String>) {
    let batch = &member.batch;
    let mut out = Vec::new();
    let mut categories = Vec::new();
    let by_group = |group: Option<&str>, n: usize| groups(batch, group, n);
    match fig.plot {
        Plot::Lines { x, ys, group, .. } => {
            let Some(xs) = numbers(batch, x) else {
                return (out, categories);
            };
            let names = select(batch, &ys);
            let groups = by_group(group, xs.len());
            for y in &names {
                let Some(vals) = numbers(batch, y) else { continue };
                for (g, rows) in &groups {
                    let name = match (names.len() > 1, g.is_empty()) {
                        (true, true) => y.clone(),
                        (true, false) => format!("{y} {}={g}", group.unwrap_or("")),
                        (false, false) => format!("{}={g}", group.unwrap_or("")),
                        (false, true) => y.clone(),
                    };
                    out.push(Series::new(
                        name,
                        rows.iter().map(|&i| (xs[i], vals[i])).collect(),
                        true,
                    ));
                }
            }
        }
        Plot::Path { xy, group } => {
            let names = select(batch, &xy);
            if let (Some(a), Some(b)) = (names.first(), names.get(1))
                && let (Some(xs), Some(ys)) = (numbers(batch, a), numbers(batch, b))
            {
                for (g, rows) in by_group(Some(group), xs.len()) {
                    out.push(Series::new(
                        format!("{group}={g}"),
                        rows.iter().map(|&i| (xs[i], ys[i])).collect(),
                        true,
                    ));
                }
            }
        }
        Plot::Points {
            x,
            y,
            color,
            unit_circle,
        } => {
            if let (Some(xs), Some(ys)) = (numbers(batch, x), numbers(batch, y)) {
                for (g, rows) in by_group(color, xs.len()) {
                    let name = match color {
                        Some(c) => format!("{c}={g}"),
                        None => fig.table.to_string(),
                    };
                    out.push(Series::new(name, rows.iter().map(|&i| (xs[i], ys[i])).collect(), false));
                }
            }
            if unit_circle {
                out.push(Series::new(
                    "unit circle".into(),
                    (0..=96)
                        .map(|k| {
                            let t = k as f64 / 96.0 * std::f64::consts::TAU;
                            (t.cos(), t.sin())
                        })
                        .collect(),
                    true,
                ));
            }
        }
        Plot::Bars { label, values } => {
            let (short, coordinates) = short_labels(&labels(batch, label).unwrap_or_default());
            categories = short;
            for v in select_excluding(batch, &values, &coordinates) {
                if let Some(vals) = numbers(batch, &v) {
                    out.push(Series::new(
                        v.clone(),
                        vals.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
                        false,
                    ));
                }
            }
        }
        Plot::Histogram { column, bins } => {
            if let Some(vals) = numbers(batch, column) {
                let finite: Vec<f64> = vals.into_iter().filter(|v| v.is_finite()).collect();
                let (lo, hi) = bounds(finite.iter().copied());
                let bins = bins.max(1);
                let width = (hi - lo) / bins as f64;
                let mut counts = vec![0usize; bins];
                for v in &finite {
                    let k = (((v - lo) / width) as usize).min(bins - 1);
                    counts[k] += 1;
                }
                out.push(Series::new(
                    column.to_string(),
                    counts
                        .iter()
                        .enumerate()
                        .map(|(k, &c)| (lo + (k as f64 + 0.5) * width, c as f64))
                        .collect(),
                    true,
                ));
            }
        }
        Plot::PcPaths { units, group } => {
            if let Some((fitted, data, cols)) = principal_components(batch, &units, 2) {
                let projected: Vec<Vec<f64>> = data.chunks(cols).map(|row| fitted.project(row)).collect();
                for (g, rows) in by_group(Some(group), projected.len()) {
                    let points = rows.iter().map(|&i| (projected[i][0], projected[i][1])).collect();
                    out.push(Series::new(format!("{group}={g}"), points, true));
                }
            }
        }
        Plot::PcVariance { units } => {
            if let Some((fitted, _, _)) = principal_components(batch, &units, 2) {
                let mut total = 0.0;
                let points = fitted
                    .explained_ratio
                    .iter()
                    .take(PC_VARIANCE_SHOWN)
                    .enumerate()
                    .map(|(k, r)| {
                        total += r;
                        ((k + 1) as f64, total)
                    })
                    .collect();
                out.push(Series::new("cumulative".into(), points, true));
            }
        }
        Plot::PointsOverPaths { x, y, color, group, .. } => {
            if let Some(paths) = &member.backdrop
                && let (Some(xs), Some(ys)) = (numbers(paths, x), numbers(paths, y))
            {
                for rows in groups(paths, Some(group), xs.len()).into_values() {
                    let mut s = Series::new(
                        format!("trajectories (one per {group})"),
                        rows.iter().map(|&i| (xs[i], ys[i])).collect(),
                        true,
                    );
                    s.muted = true;
                    out.push(s);
                }
            }
            if let (Some(xs), Some(ys)) = (numbers(batch, x), numbers(batch, y)) {
                for (g, rows) in by_group(color, xs.len()) {
                    let name = color.map_or_else(|| y.to_string(), |c| format!("{c}={g}"));
                    out.push(Series::new(name, rows.iter().map(|&i| (xs[i], ys[i])).collect(), false));
                }
            }
        }
        // A whole family's figure: `panels` draws it from every member at once.
        Plot::AcrossSweep { .. } => {}
    }
    for s in &mut out {
        s.points.retain(|(x, y)| x.is_finite() && y.is_finite());
    }
    out.retain(|s| !s.points.is_empty());
    (out, categories)
}

/// Bar labels that name sweep members (`card[activation=tanh,rate_l2=0.001]`) as their values
/// alone (`tanh, 0.001`) when every label is of that form, and the coordinates' names, whose
/// columns the labels then already show. Other labels are kept as they are.
fn short_labels(labels: &[String]) -> (Vec<String>, Vec<String>) {
    let parse = |l: &str| -> Option<Vec<(String, String)>> {
        let inner = l.strip_suffix(']')?.split_once('[')?.1;
        inner
            .split(',')
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            })
            .collect()
    };
    let parsed: Option<Vec<Vec<(String, String)>>> = labels.iter().map(|l| parse(l)).collect();
    match parsed {
        Some(all) if !all.is_empty() => {
            let names = all[0].iter().map(|(k, _)| k.clone()).collect();
            let short = all
                .iter()
                .map(|kv| kv.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(", "))
                .collect();
            (short, names)
        }
        _ => (labels.to_vec(), Vec::new()),
    }
}

/// Row indices by the text of a column (all rows in one group when there is none).
fn groups(batch: &RecordBatch, group: Option<&str>, n: usize) -> BTreeMap<String, Vec<usize>> {
    let keys = group
        .and_then(|g| labels(batch, g))
        .unwrap_or_else(|| vec![String::new(); n]);
    let mut m: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, k) in keys.into_iter().enumerate() {
        m.entry(k).or_default().push(i);
    }
    m
}

/// The variance-explained curve shows at most this many components.
const PC_VARIANCE_SHOWN: usize = 20;

/// The principal components of the `units` columns, keeping `k`, with the rows (row-major) and
/// their width; `None` with fewer than `k` columns or two rows, or non-finite values.
fn principal_components(batch: &RecordBatch, units: &Columns, k: usize) -> Option<(Pca, Vec<f64>, usize)> {
    let names = select(batch, units);
    let columns: Vec<Vec<f64>> = names.iter().filter_map(|c| numbers(batch, c)).collect();
    let (cols, rows) = (columns.len(), batch.num_rows());
    if cols < k || rows < 2 {
        return None;
    }
    let data: Vec<f64> = (0..rows).flat_map(|r| columns.iter().map(move |c| c[r])).collect();
    let fitted = pca(&data, rows, cols, k).ok()?;
    Some((fitted, data, cols))
}

/// `Plot::AcrossSweep`'s coordinate name and series: each column's mean per member against the
/// members' first numeric sweep coordinate (their order when none is numeric), a line through the
/// means at each coordinate value, with each member's own point and the band of the mean where
/// several share one.
pub fn across_sweep(ys: &Columns, members: &[Member]) -> (String, Vec<Series>) {
    let numeric = |name: &str| -> Option<Vec<f64>> {
        members
            .iter()
            .map(|m| m.coords.iter().find(|(k, _)| k == name)?.1.parse::<f64>().ok())
            .collect()
    };
    let coordinate = members
        .first()
        .and_then(|m| m.coords.iter().find_map(|(k, _)| numeric(k).map(|xs| (k.clone(), xs))));
    let (x_name, xs) =
        coordinate.unwrap_or_else(|| ("member".to_string(), (0..members.len()).map(|i| i as f64).collect()));
    let names = members.first().map(|m| select(&m.batch, ys)).unwrap_or_default();
    let mut series = Vec::new();
    for name in &names {
        let points: Vec<(f64, f64)> = members
            .iter()
            .zip(&xs)
            .filter_map(|(m, &x)| {
                let vals: Vec<f64> = numbers(&m.batch, name)?.into_iter().filter(|v| v.is_finite()).collect();
                (!vals.is_empty()).then(|| (x, vals.iter().sum::<f64>() / vals.len() as f64))
            })
            .collect();
        // Sums per coordinate value (keyed by its bits: the values are parsed, never computed).
        let mut by_x: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
        for &(x, y) in &points {
            let slot = by_x.entry(x.to_bits()).or_insert((0.0, 0));
            slot.0 += y;
            slot.1 += 1;
        }
        let mut means: Vec<(f64, f64)> = by_x
            .iter()
            .map(|(&bits, &(sum, n))| (f64::from_bits(bits), sum / n as f64))
            .collect();
        means.sort_by(|a, b| a.0.total_cmp(&b.0));
        let repeated = means.len() < points.len();
        let mut line = Series::new(name.clone(), means, true);
        line.band = bands_at(&points);
        series.push(line);
        if repeated {
            series.push(Series::new(format!("{name} (each member)"), points, false));
        }
    }
    series.retain(|s| !s.points.is_empty());
    (x_name, series)
}

/// At each x shared by several points, the interval of their mean across them (the seeds at a
/// sweep value).
fn bands_at(points: &[(f64, f64)]) -> Vec<(f64, f64, f64)> {
    let mut at: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for &(x, y) in points {
        at.entry(x.to_bits()).or_default().push(y);
    }
    let mut rng = crate::rng::Rng::derive(0, "report-band");
    let mut band: Vec<(f64, f64, f64)> = at
        .iter()
        .filter(|(_, ys)| ys.len() > 1)
        .map(|(&bits, ys)| {
            let (low, high) = super::replicates::band_of(ys, &mut rng);
            (f64::from_bits(bits), low, high)
        })
        .collect();
    band.sort_by(|a, b| a.0.total_cmp(&b.0));
    band
}

/// The finite range of some values, padded, never empty.
pub fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 * lo.abs().max(1.0) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.5 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableBuilder;

    fn member(coords: &[(&str, &str)], batch: RecordBatch) -> Member {
        Member {
            label: String::new(),
            coords: coords.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            batch,
            backdrop: None,
        }
    }

    fn scores(values: &[f64]) -> RecordBatch {
        TableBuilder::new().f64("svcca", values.to_vec()).build().unwrap()
    }

    #[test]
    fn member_labels_shorten_to_their_values_and_name_their_coordinates() {
        let labels = [
            "card[activation=tanh,rate_l2=0.001]".to_string(),
            "card[activation=relu,rate_l2=0.01]".to_string(),
        ];
        let (short, names) = short_labels(&labels);
        assert_eq!(short, ["tanh, 0.001", "relu, 0.01"]);
        assert_eq!(names, ["activation", "rate_l2"]);
        let plain = ["observed".to_string(), "card[p=1]".to_string()];
        assert_eq!(short_labels(&plain), (plain.to_vec(), Vec::new()));
    }

    #[test]
    fn across_a_sweep_each_member_is_its_mean_at_its_coordinate_in_order() {
        let members = [
            member(&[("fraction", "0.2")], scores(&[0.9, 0.7])),
            member(&[("fraction", "0")], scores(&[0.1])),
            member(&[("fraction", "0.05")], scores(&[0.5, f64::NAN])),
        ];
        let (name, series) = across_sweep(&Columns::Named(&["svcca"]), &members);
        assert_eq!(name, "fraction");
        assert_eq!(series.len(), 1, "one series: no coordinate value is repeated");
        assert_eq!(series[0].points, vec![(0.0, 0.1), (0.05, 0.5), (0.2, 0.8)]);
    }

    #[test]
    fn members_sharing_a_coordinate_value_are_averaged_and_also_shown_each() {
        let members = [
            member(&[("seed", "a"), ("p", "1")], scores(&[1.0])),
            member(&[("seed", "b"), ("p", "1")], scores(&[3.0])),
            member(&[("seed", "a"), ("p", "2")], scores(&[5.0])),
        ];
        let (name, series) = across_sweep(&Columns::Named(&["svcca"]), &members);
        assert_eq!(name, "p", "the first numeric coordinate");
        assert_eq!(series[0].points, vec![(1.0, 2.0), (2.0, 5.0)]);
        assert_eq!(series[1].points.len(), 3);
    }

    #[test]
    fn pc_paths_recover_a_plane_and_its_variance() {
        // Three units spanning a plane: r = (cos, sin, cos + sin) of time, two conditions.
        let (mut cond, mut r0, mut r1, mut r2) = (vec![], vec![], vec![], vec![]);
        for c in 0..2 {
            for k in 0..50 {
                let t = k as f64 / 50.0 * std::f64::consts::TAU + c as f64;
                cond.push(c as i64);
                r0.push(t.cos());
                r1.push(t.sin());
                r2.push(t.cos() + t.sin());
            }
        }
        let batch = TableBuilder::new()
            .i64("condition", cond)
            .f64("r_0", r0)
            .f64("r_1", r1)
            .f64("r_2", r2)
            .build()
            .unwrap();
        let units = Columns::Prefix("r_", usize::MAX);
        let m = member(&[], batch);
        let paths = Figure {
            title: "t",
            table: "trajectories",
            plot: Plot::PcPaths {
                units,
                group: "condition",
            },
            x_label: "",
            y_label: "",
        };
        let (series, _) = series_of(&paths, &m);
        assert_eq!(series.len(), 2, "a path per condition");
        assert!(series.iter().all(|s| s.points.len() == 50 && s.line));
        let variance = Figure {
            plot: Plot::PcVariance { units },
            ..paths
        };
        let (series, _) = series_of(&variance, &m);
        let cumulative: Vec<f64> = series[0].points.iter().map(|p| p.1).collect();
        assert_eq!(cumulative.len(), 3);
        assert!(
            (cumulative[1] - 1.0).abs() < 1e-9,
            "two PCs explain a plane: {cumulative:?}"
        );
    }
}
