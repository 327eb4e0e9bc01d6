//! A non-parametric swap curve: swap probability as a smooth function of the cue-feature distance.
//!
//! Two items per trial (target and one non-target), cue distance d in [0, pi]:
//!
//! p(r | d) = (1 - g - s(d)) VM(r; t, kappa) + s(d) VM(r; nt, kappa) + g / (2 pi).
//!
//! EM fits a global guess rate g, a global kappa and s(.), whose M-step is a Nadaraya-Watson
//! Gaussian-kernel smooth of the per-trial swap responsibilities against d. The module also draws
//! surrogate trials from a fit, and fits the parametric mixture per distance bin for comparisons.

use std::f64::consts::PI;

use crate::numerics::mixture::{self, MixtureFit};
use crate::rng::{Rng, wrap_angle};

/// The default kernel bandwidth, in radians of cue distance.
pub const DEFAULT_BANDWIDTH: f64 = 0.25;

/// Bins with fewer trials than this get no per-bin mixture fit.
pub const MIN_TRIALS_PER_BIN: usize = 20;

/// Stop EM when the total log-likelihood changes by less than this.
const LL_TOLERANCE: f64 = 1e-9;

/// The most EM iterations of one fit.
const MAX_ITERATIONS: usize = 500;

/// Points of the grid on [0, pi] that `sample` interpolates the fitted curve on.
const SAMPLE_GRID_POINTS: usize = 513;

/// A fitted swap curve. It keeps the trials' distances and final swap responsibilities, so that the
/// curve can be evaluated at any distance.
#[derive(Debug, Clone)]
pub struct SwapCurveFit {
    pub guess: f64,
    pub kappa: f64,
    pub bandwidth: f64,
    pub log_likelihood: f64,
    pub iterations: usize,
    pub distances: Vec<f64>,
    pub swap_responsibilities: Vec<f64>,
}

impl SwapCurveFit {
    /// The swap probability at cue distance `d` in [0, pi]: the kernel smooth of the responsibilities,
    /// capped at 1 - guess.
    pub fn swap_probability(&self, d: f64) -> Result<f64, String> {
        check_distance("d", d)?;
        let s = kernel_smooth(&self.distances, &self.swap_responsibilities, d, self.bandwidth)?;
        Ok(s.clamp(0.0, 1.0 - self.guess))
    }

    /// The swap probability at each of `points`.
    pub fn curve(&self, points: &[f64]) -> Result<Vec<f64>, String> {
        points.iter().map(|&d| self.swap_probability(d)).collect()
    }
}

/// Surrogate trials drawn from a swap-curve model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SwapSamples {
    pub cue_target: Vec<f64>,
    pub cue_nontarget: Vec<f64>,
    /// |wrap(cue_nontarget - cue_target)|, in [min_sep, pi].
    pub cue_distance: Vec<f64>,
    pub report_target: Vec<f64>,
    pub report_nontarget: Vec<f64>,
    pub response: Vec<f64>,
    pub swapped: Vec<bool>,
    pub guessed: Vec<bool>,
}

/// The parametric mixture fitted to the trials of one cue-distance bin.
#[derive(Debug, Clone, PartialEq)]
pub struct BinFit {
    pub d_low: f64,
    pub d_high: f64,
    pub d_centre: f64,
    pub n: usize,
    /// None when the bin holds fewer than MIN_TRIALS_PER_BIN trials.
    pub estimate: Option<MixtureFit>,
}

fn check_distance(name: &str, d: f64) -> Result<(), String> {
    if !d.is_finite() || !(0.0..=PI).contains(&d) {
        return Err(format!("{name} is {d}; cue distances must lie in [0, pi]"));
    }
    Ok(())
}

/// Nadaraya-Watson estimate at `d` with a Gaussian kernel. The exponents are shifted by the nearest
/// point's, so the weights never all underflow.
fn kernel_smooth(xs: &[f64], ys: &[f64], d: f64, bandwidth: f64) -> Result<f64, String> {
    let nearest = xs.iter().map(|x| (d - x).powi(2)).fold(f64::INFINITY, f64::min);
    if !nearest.is_finite() || xs.len() != ys.len() {
        return Err("swap curve has no trials to smooth".into());
    }
    let scale = -0.5 / (bandwidth * bandwidth);
    let (mut num, mut den) = (0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let w = (scale * ((d - x).powi(2) - nearest)).exp();
        num += w * y;
        den += w;
    }
    Ok(num / den)
}

/// Checks the trials of a swap-curve or per-bin fit.
fn validate(responses: &[f64], targets: &[f64], non_targets: &[f64], distances: &[f64]) -> Result<(), String> {
    let n = responses.len();
    if n == 0 {
        return Err("swap curve needs trials; got none".into());
    }
    if targets.len() != n || non_targets.len() != n || distances.len() != n {
        return Err(format!(
            "swap curve needs equal-length inputs; got {n} responses, {} targets, {} non-targets, {} distances",
            targets.len(),
            non_targets.len(),
            distances.len()
        ));
    }
    mixture::check_finite("responses", responses)?;
    mixture::check_finite("targets", targets)?;
    mixture::check_finite("non_targets", non_targets)?;
    for (i, &d) in distances.iter().enumerate() {
        check_distance(&format!("cue_distances[{i}]"), d)?;
    }
    Ok(())
}

fn check_bandwidth(bandwidth: f64) -> Result<(), String> {
    if !bandwidth.is_finite() || bandwidth <= 0.0 {
        return Err(format!(
            "bandwidth must be a positive number of radians; got {bandwidth}"
        ));
    }
    Ok(())
}

/// The kernel smoother used inside EM: trials are linearly binned onto a grid over [0, pi], smoothed
/// grid-to-grid, and interpolated back to each trial. Exact up to O((spacing / bandwidth)^2).
struct GridSmoother {
    lower: Vec<usize>,
    frac: Vec<f64>,
    /// Per grid point, the (grid index, kernel weight) pairs that hold trials.
    rows: Vec<Vec<(usize, f64)>>,
    /// Per grid point, the kernel-weighted trial count.
    denominators: Vec<f64>,
}

impl GridSmoother {
    fn new(distances: &[f64], bandwidth: f64) -> GridSmoother {
        let points = ((10.0 * PI / bandwidth).ceil() as usize).clamp(257, 2049);
        let spacing = PI / (points - 1) as f64;
        let mut lower = Vec::with_capacity(distances.len());
        let mut frac = Vec::with_capacity(distances.len());
        let mut counts = vec![0.0; points];
        for &d in distances {
            let position = (d / spacing).clamp(0.0, (points - 1) as f64);
            let k = (position.floor() as usize).min(points - 2);
            let f = position - k as f64;
            counts[k] += 1.0 - f;
            counts[k + 1] += f;
            lower.push(k);
            frac.push(f);
        }
        let occupied: Vec<usize> = (0..points).filter(|&k| counts[k] > 0.0).collect();
        let rows: Vec<Vec<(usize, f64)>> = (0..points)
            .map(|j| kernel_row(j, &occupied, spacing, bandwidth))
            .collect();
        let denominators = rows
            .iter()
            .map(|row| row.iter().map(|&(k, w)| w * counts[k]).sum())
            .collect();
        GridSmoother {
            lower,
            frac,
            rows,
            denominators,
        }
    }

    /// The smooth of `values` (one per trial) evaluated at every trial's distance.
    fn smooth(&self, values: &[f64]) -> Vec<f64> {
        let mut sums = vec![0.0; self.rows.len()];
        for ((&k, &f), &v) in self.lower.iter().zip(&self.frac).zip(values) {
            sums[k] += (1.0 - f) * v;
            sums[k + 1] += f * v;
        }
        let grid: Vec<f64> = self
            .rows
            .iter()
            .zip(&self.denominators)
            .map(|(row, den)| row.iter().map(|&(k, w)| w * sums[k]).sum::<f64>() / den)
            .collect();
        self.lower
            .iter()
            .zip(&self.frac)
            .map(|(&k, &f)| (1.0 - f) * grid[k] + f * grid[k + 1])
            .collect()
    }
}

/// Kernel weights from grid point `j` to the occupied grid points, shifted so the nearest weighs 1.
fn kernel_row(j: usize, occupied: &[usize], spacing: f64, bandwidth: f64) -> Vec<(usize, f64)> {
    let squared = |k: usize| ((j as f64 - k as f64) * spacing).powi(2);
    let nearest = occupied.iter().map(|&k| squared(k)).fold(f64::INFINITY, f64::min);
    let scale = -0.5 / (bandwidth * bandwidth);
    occupied
        .iter()
        .map(|&k| (k, (scale * (squared(k) - nearest)).exp()))
        .filter(|&(_, w)| w > 1e-16)
        .collect()
}

/// The state EM carries: per-trial swap probabilities, the guess rate and kappa.
struct State {
    swap: Vec<f64>,
    guess: f64,
    kappa: f64,
}

/// What one E-step passes to the M-step.
struct Expectations {
    log_likelihood: f64,
    swap: Vec<f64>,
    sum_guess: f64,
    sum_weighted_cos: f64,
    sum_von_mises: f64,
}

fn e_step(cos_target: &[f64], cos_non_target: &[f64], state: &State) -> Expectations {
    let norm = mixture::von_mises_norm(state.kappa);
    let guess_density = state.guess / (2.0 * PI);
    let mut e = Expectations {
        log_likelihood: 0.0,
        swap: Vec::with_capacity(cos_target.len()),
        sum_guess: 0.0,
        sum_weighted_cos: 0.0,
        sum_von_mises: 0.0,
    };
    for ((&ct, &cn), &s) in cos_target.iter().zip(cos_non_target).zip(&state.swap) {
        let target = (1.0 - state.guess - s).max(0.0) * mixture::von_mises_from_cos(ct, state.kappa, norm);
        let swap = s * mixture::von_mises_from_cos(cn, state.kappa, norm);
        let total = (target + swap + guess_density).max(f64::MIN_POSITIVE);
        e.log_likelihood += total.ln();
        let (z_target, z_swap) = (target / total, swap / total);
        e.swap.push(z_swap);
        e.sum_guess += guess_density / total;
        e.sum_weighted_cos += z_target * ct + z_swap * cn;
        e.sum_von_mises += z_target + z_swap;
    }
    e
}

fn m_step(e: &Expectations, smoother: &GridSmoother, previous_kappa: f64) -> State {
    let guess = e.sum_guess / e.swap.len() as f64;
    let swap = smoother
        .smooth(&e.swap)
        .into_iter()
        .map(|s| s.clamp(0.0, 1.0 - guess))
        .collect();
    let kappa = mixture::kappa_from_weighted_cos(e.sum_weighted_cos, e.sum_von_mises, previous_kappa);
    State { swap, guess, kappa }
}

/// Fits the swap curve by EM, starting from the parametric mixture's global estimates.
///
/// `cue_distances` are the target/non-target distances in the cue feature, in [0, pi]; `bandwidth` is
/// the kernel's standard deviation in radians (see DEFAULT_BANDWIDTH).
pub fn fit(
    responses: &[f64],
    targets: &[f64],
    non_targets: &[f64],
    cue_distances: &[f64],
    bandwidth: f64,
) -> Result<SwapCurveFit, String> {
    validate(responses, targets, non_targets, cue_distances)?;
    check_bandwidth(bandwidth)?;
    let nested: Vec<Vec<f64>> = non_targets.iter().map(|&nt| vec![nt]).collect();
    let start = mixture::fit(responses, targets, &nested)?;
    let cos_target: Vec<f64> = responses
        .iter()
        .zip(targets)
        .map(|(r, t)| wrap_angle(r - t).cos())
        .collect();
    let cos_non_target: Vec<f64> = responses
        .iter()
        .zip(non_targets)
        .map(|(r, n)| wrap_angle(r - n).cos())
        .collect();
    let smoother = GridSmoother::new(cue_distances, bandwidth);
    let mut state = State {
        swap: vec![start.p_swap; responses.len()],
        guess: start.p_guess,
        kappa: start.kappa,
    };
    let mut e = e_step(&cos_target, &cos_non_target, &state);
    let mut iterations = 0;
    while iterations < MAX_ITERATIONS {
        state = m_step(&e, &smoother, state.kappa);
        let next = e_step(&cos_target, &cos_non_target, &state);
        let change = (next.log_likelihood - e.log_likelihood).abs();
        e = next;
        iterations += 1;
        if change < LL_TOLERANCE {
            break;
        }
    }
    Ok(SwapCurveFit {
        guess: state.guess,
        kappa: state.kappa,
        bandwidth,
        log_likelihood: e.log_likelihood,
        iterations,
        distances: cue_distances.to_vec(),
        swap_responsibilities: e.swap,
    })
}

/// Draws `n` surrogate trials from a fitted swap curve. Cue and report angles are uniform, with the
/// non-target at least `min_sep` radians (circular distance) from the target in both features.
pub fn sample(fit: &SwapCurveFit, n: usize, rng: &mut Rng, min_sep: f64) -> Result<SwapSamples, String> {
    if fit.distances.is_empty() || fit.distances.len() != fit.swap_responsibilities.len() {
        return Err("swap curve fit holds no trials to sample from".into());
    }
    check_model(fit.guess, fit.kappa)?;
    let grid: Vec<f64> = (0..SAMPLE_GRID_POINTS)
        .map(|i| PI * i as f64 / (SAMPLE_GRID_POINTS - 1) as f64)
        .collect();
    let values = fit.curve(&grid)?;
    let swap_at = |d: f64| interpolate_grid(&values, d);
    sample_with(n, rng, min_sep, fit.guess, fit.kappa, swap_at)
}

fn check_model(guess: f64, kappa: f64) -> Result<(), String> {
    if !(0.0..=1.0).contains(&guess) {
        return Err(format!("guess rate must be in [0, 1]; got {guess}"));
    }
    if !kappa.is_finite() || kappa < 0.0 {
        return Err(format!("kappa must be finite and non-negative; got {kappa}"));
    }
    Ok(())
}

/// Linear interpolation of values on an even grid over [0, pi].
fn interpolate_grid(values: &[f64], d: f64) -> f64 {
    let last = values.len().saturating_sub(1);
    if last == 0 {
        return values.first().copied().unwrap_or(0.0);
    }
    let position = (d / PI * last as f64).clamp(0.0, last as f64);
    let k = (position.floor() as usize).min(last - 1);
    let f = position - k as f64;
    (1.0 - f) * values[k] + f * values[k + 1]
}

/// A uniform angle and a second one at circular distance at least `min_sep` from it.
fn separated_pair(rng: &mut Rng, min_sep: f64) -> (f64, f64) {
    let first = rng.uniform_in(-PI, PI);
    let second = wrap_angle(first + rng.uniform_in(min_sep, 2.0 * PI - min_sep));
    (first, second)
}

/// Draws trials from the model with swap probability `swap_at(d)`, guess rate `guess` and `kappa`.
fn sample_with(
    n: usize,
    rng: &mut Rng,
    min_sep: f64,
    guess: f64,
    kappa: f64,
    swap_at: impl Fn(f64) -> f64,
) -> Result<SwapSamples, String> {
    if !min_sep.is_finite() || !(0.0..PI).contains(&min_sep) {
        return Err(format!("min_sep must be in [0, pi); got {min_sep}"));
    }
    check_model(guess, kappa)?;
    let mut out = SwapSamples::default();
    for _ in 0..n {
        let (cue_target, cue_nontarget) = separated_pair(rng, min_sep);
        let (report_target, report_nontarget) = separated_pair(rng, min_sep);
        let d = wrap_angle(cue_nontarget - cue_target).abs();
        let swap = swap_at(d).clamp(0.0, 1.0 - guess);
        let u = rng.uniform();
        let (guessed, swapped) = (u < guess, u >= guess && u < guess + swap);
        let response = if guessed {
            rng.uniform_in(-PI, PI)
        } else if swapped {
            rng.von_mises(report_nontarget, kappa)
        } else {
            rng.von_mises(report_target, kappa)
        };
        out.cue_target.push(cue_target);
        out.cue_nontarget.push(cue_nontarget);
        out.cue_distance.push(d);
        out.report_target.push(report_target);
        out.report_nontarget.push(report_nontarget);
        out.response.push(response);
        out.swapped.push(swapped);
        out.guessed.push(guessed);
    }
    Ok(out)
}

/// `n_bins + 1` equally spaced edges over [0, pi]; empty when `n_bins` is zero.
pub fn bin_edges(n_bins: usize) -> Vec<f64> {
    if n_bins == 0 {
        return Vec::new();
    }
    (0..=n_bins).map(|i| PI * i as f64 / n_bins as f64).collect()
}

/// The bin of `bin_edges(n_bins)` that holds `d` (pi falls in the last bin).
fn bin_index(d: f64, n_bins: usize) -> usize {
    ((d / PI * n_bins as f64).floor() as usize).min(n_bins - 1)
}

/// Fits the parametric mixture (mixture.rs) separately to the trials of each cue-distance bin.
pub fn fit_per_bin(
    responses: &[f64],
    targets: &[f64],
    non_targets: &[f64],
    cue_distances: &[f64],
    n_bins: usize,
) -> Result<Vec<BinFit>, String> {
    validate(responses, targets, non_targets, cue_distances)?;
    if n_bins == 0 {
        return Err("per-bin fit needs at least one bin".into());
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_bins];
    for (i, &d) in cue_distances.iter().enumerate() {
        members[bin_index(d, n_bins)].push(i);
    }
    let edges = bin_edges(n_bins);
    members
        .iter()
        .enumerate()
        .map(|(b, idx)| {
            let estimate = fit_bin(responses, targets, non_targets, idx)?;
            Ok(BinFit {
                d_low: edges[b],
                d_high: edges[b + 1],
                d_centre: 0.5 * (edges[b] + edges[b + 1]),
                n: idx.len(),
                estimate,
            })
        })
        .collect()
}

/// The mixture fit of the trials `idx`, or None when there are too few of them.
fn fit_bin(
    responses: &[f64],
    targets: &[f64],
    non_targets: &[f64],
    idx: &[usize],
) -> Result<Option<MixtureFit>, String> {
    if idx.len() < MIN_TRIALS_PER_BIN {
        return Ok(None);
    }
    let r: Vec<f64> = idx.iter().map(|&i| responses[i]).collect();
    let t: Vec<f64> = idx.iter().map(|&i| targets[i]).collect();
    let nt: Vec<Vec<f64>> = idx.iter().map(|&i| vec![non_targets[i]]).collect();
    mixture::fit(&r, &t, &nt).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KAPPA: f64 = 10.0;
    const GUESS: f64 = 0.02;
    const MIN_SEP: f64 = 0.25;
    const CHECK_POINTS: [f64; 5] = [0.5, 1.0, 1.5, 2.0, 2.5];

    /// The softmax swap rule: ~0.38 at d = 0, ~0.02 at d = pi.
    fn true_swap(d: f64) -> f64 {
        let near = (-0.5 * d * d / 1.5).exp();
        near / (near + 0.5f64.exp())
    }

    fn synthetic(seed: u64) -> SwapSamples {
        let mut rng = Rng::derive(seed, "swap-curve-test");
        sample_with(20_000, &mut rng, MIN_SEP, GUESS, KAPPA, true_swap).unwrap()
    }

    fn fit_samples(s: &SwapSamples) -> SwapCurveFit {
        fit(
            &s.response,
            &s.report_target,
            &s.report_nontarget,
            &s.cue_distance,
            DEFAULT_BANDWIDTH,
        )
        .unwrap()
    }

    fn assert_curve_close(fit: &SwapCurveFit, tolerance: f64) {
        for d in CHECK_POINTS {
            let got = fit.swap_probability(d).unwrap();
            assert!(
                (got - true_swap(d)).abs() < tolerance,
                "s({d}) = {got}, true {}",
                true_swap(d)
            );
        }
    }

    #[test]
    fn recovers_softmax_swap_curve_guess_and_kappa() {
        let s = synthetic(21);
        let fit = fit_samples(&s);
        assert_curve_close(&fit, 0.05);
        assert!((fit.kappa / KAPPA - 1.0).abs() < 0.15, "kappa {}", fit.kappa);
        assert!((fit.guess - GUESS).abs() < 0.02, "guess {}", fit.guess);
        assert!(fit.iterations >= 1 && fit.iterations <= MAX_ITERATIONS);
    }

    #[test]
    fn samples_from_the_fit_refit_to_the_same_curve() {
        let fit = fit_samples(&synthetic(22));
        let mut rng = Rng::derive(23, "swap-curve-resample");
        let resampled = sample(&fit, 20_000, &mut rng, MIN_SEP).unwrap();
        assert_eq!(resampled.response.len(), 20_000);
        assert!(
            resampled
                .cue_distance
                .iter()
                .all(|&d| (MIN_SEP - 1e-12..=PI).contains(&d))
        );
        assert!(
            resampled
                .report_target
                .iter()
                .zip(&resampled.report_nontarget)
                .all(|(t, n)| { wrap_angle(t - n).abs() >= MIN_SEP - 1e-12 })
        );
        assert!(
            resampled
                .swapped
                .iter()
                .zip(&resampled.guessed)
                .all(|(s, g)| !(*s && *g))
        );
        let guess_rate = resampled.guessed.iter().filter(|&&g| g).count() as f64 / 20_000.0;
        assert!((guess_rate - fit.guess).abs() < 0.01, "{guess_rate}");
        let refit = fit_samples(&resampled);
        assert_curve_close(&refit, 0.06);
    }

    #[test]
    fn per_bin_mixture_matches_each_bins_mean_swap_probability() {
        let s = synthetic(24);
        let bins = fit_per_bin(&s.response, &s.report_target, &s.report_nontarget, &s.cue_distance, 6).unwrap();
        assert_eq!(bins.len(), 6);
        for bin in &bins {
            let in_bin: Vec<f64> = s
                .cue_distance
                .iter()
                .copied()
                .filter(|&d| d >= bin.d_low && (d < bin.d_high || bin.d_high == PI))
                .collect();
            assert_eq!(in_bin.len(), bin.n);
            let true_mean = in_bin.iter().map(|&d| true_swap(d)).sum::<f64>() / in_bin.len() as f64;
            let estimate = bin.estimate.as_ref().unwrap();
            assert!(
                (estimate.p_swap - true_mean).abs() < 0.06,
                "bin {bin:?}: true {true_mean}"
            );
        }
    }

    #[test]
    fn bin_edges_cover_zero_to_pi() {
        let edges = bin_edges(4);
        assert_eq!(edges.len(), 5);
        assert_eq!(edges[0], 0.0);
        assert_eq!(edges[4], PI);
        assert!((edges[1] - PI / 4.0).abs() < 1e-15);
        assert!(bin_edges(0).is_empty());
        assert_eq!(bin_index(PI, 4), 3);
        assert_eq!(bin_index(0.0, 4), 0);
    }

    #[test]
    fn rejects_bad_input() {
        let ok = vec![0.1; 20];
        assert!(fit(&[], &[], &[], &[], 0.25).unwrap_err().contains("none"));
        assert!(
            fit(&ok, &ok, &ok[..19], &ok, 0.25)
                .unwrap_err()
                .contains("19 non-targets")
        );
        assert!(fit(&ok, &ok, &ok, &ok, 0.0).unwrap_err().contains("bandwidth"));
        assert!(fit(&ok, &ok, &ok, &ok, f64::NAN).unwrap_err().contains("bandwidth"));
        let mut bad = ok.clone();
        bad[4] = 3.5;
        assert!(fit(&ok, &ok, &ok, &bad, 0.25).unwrap_err().contains("cue_distances[4]"));
        bad[4] = f64::NAN;
        assert!(fit(&bad, &ok, &ok, &ok, 0.25).unwrap_err().contains("responses[4]"));
        assert!(fit_per_bin(&ok, &ok, &ok, &ok, 0).unwrap_err().contains("bin"));
        let mut rng = Rng::derive(1, "x");
        assert!(sample_with(10, &mut rng, PI, 0.0, 1.0, |_| 0.1).is_err());
        assert!(sample_with(10, &mut rng, 0.1, 1.5, 1.0, |_| 0.1).is_err());
    }

    #[test]
    fn per_bin_fit_skips_sparse_bins() {
        let s = synthetic(25);
        // With min_sep = 0.25 and 24 bins, the first bin [0, 0.13) holds no trials.
        let bins = fit_per_bin(&s.response, &s.report_target, &s.report_nontarget, &s.cue_distance, 24).unwrap();
        assert_eq!(bins[0].n, 0);
        assert!(bins[0].estimate.is_none());
        assert!(bins[5].estimate.is_some());
    }
}
