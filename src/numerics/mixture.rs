//! The Bays (2009) mixture model of continuous report errors (target, swap, guess), fitted by EM.
//!
//! Each trial has a response angle `r`, a target angle `t` and one or more non-target angles `nt_j`:
//!
//! p(r) = p_T VM(r; t, kappa) + p_N mean_j VM(r; nt_j, kappa) + p_U / (2 pi).
//!
//! The module also holds the circular helpers shared by the other report-error analyses: exponentially
//! scaled Bessel functions, the ratio A(kappa) = I1(kappa) / I0(kappa) and its inverse, and a von Mises
//! density that stays finite for large kappa.

use std::f64::consts::PI;

use crate::rng::wrap_angle;

/// The largest concentration an M-step returns (a circular standard deviation of about 0.2 degrees).
pub const KAPPA_MAX: f64 = 1e5;

/// The fewest trials a fit accepts.
pub const MIN_TRIALS: usize = 10;

/// Stop EM when the total log-likelihood changes by less than this.
const LL_TOLERANCE: f64 = 1e-9;

/// The most EM iterations of one fit.
const MAX_ITERATIONS: usize = 500;

/// Iterations each starting point gets before the best one is run to convergence.
const SCREEN_ITERATIONS: usize = 25;

/// Below this argument the Bessel functions use their power series, above it the asymptotic expansion.
const BESSEL_SERIES_LIMIT: f64 = 20.0;

/// A fitted mixture: the three weights sum to one.
#[derive(Debug, Clone, PartialEq)]
pub struct MixtureFit {
    pub p_target: f64,
    pub p_swap: f64,
    pub p_guess: f64,
    pub kappa: f64,
    pub log_likelihood: f64,
    pub iterations: usize,
}

/// Per-trial posterior probabilities of each component; every trial's three values sum to one.
#[derive(Debug, Clone, PartialEq)]
pub struct Responsibilities {
    pub target: Vec<f64>,
    /// Summed over the trial's non-targets.
    pub swap: Vec<f64>,
    pub guess: Vec<f64>,
}

/// exp(-|x|) I0(x), the exponentially scaled modified Bessel function of order zero.
pub fn i0e(x: f64) -> f64 {
    scaled_bessel(0, x.abs())
}

/// exp(-|x|) I1(x), the exponentially scaled modified Bessel function of order one (odd in x).
pub fn i1e(x: f64) -> f64 {
    let value = scaled_bessel(1, x.abs());
    if x < 0.0 { -value } else { value }
}

/// exp(-x) I_nu(x) for x >= 0 and nu in {0, 1}.
fn scaled_bessel(nu: u32, x: f64) -> f64 {
    if x <= BESSEL_SERIES_LIMIT {
        bessel_series(nu, x) * (-x).exp()
    } else {
        bessel_asymptotic(nu, x)
    }
}

/// I_nu(x) = sum_k (x/2)^(2k+nu) / (k! (k+nu)!); every term is positive, so the sum loses no precision.
fn bessel_series(nu: u32, x: f64) -> f64 {
    let half = 0.5 * x;
    let mut term = if nu == 1 { half } else { 1.0 };
    let mut sum = 0.0;
    for k in 1..200 {
        sum += term;
        if term <= sum * 1e-17 {
            break;
        }
        let k = k as f64;
        term *= half * half / (k * (k + nu as f64));
    }
    sum
}

/// exp(-x) I_nu(x) ~ (2 pi x)^(-1/2) sum_k (-1)^k a_k(nu) / x^k, summed until the terms stop shrinking.
fn bessel_asymptotic(nu: u32, x: f64) -> f64 {
    let mu = 4.0 * (nu * nu) as f64;
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    for k in 1..60 {
        let odd = (2 * k - 1) as f64;
        let next = -term * (mu - odd * odd) / (8.0 * k as f64 * x);
        if next.abs() >= term.abs() || next.abs() <= sum.abs() * 1e-17 {
            break;
        }
        sum += next;
        term = next;
    }
    sum / (2.0 * PI * x).sqrt()
}

/// A(kappa) = I1(kappa) / I0(kappa): the mean resultant length of a von Mises with concentration kappa.
pub fn bessel_ratio(kappa: f64) -> f64 {
    if kappa == 0.0 {
        return 0.0;
    }
    i1e(kappa) / i0e(kappa)
}

/// The kappa whose A(kappa) equals the mean resultant length `r`, clamped to [0, KAPPA_MAX].
///
/// Starts from Fisher's (1993) piecewise approximation and refines it with Newton steps on
/// A(kappa) - r, using A'(kappa) = 1 - A / kappa - A^2.
pub fn inverse_bessel_ratio(r: f64) -> f64 {
    if r.is_nan() || r <= 0.0 {
        return 0.0;
    }
    if r >= bessel_ratio(KAPPA_MAX) {
        return KAPPA_MAX;
    }
    let mut kappa = fisher_kappa(r);
    for _ in 0..30 {
        let a = bessel_ratio(kappa);
        let slope = 1.0 - a / kappa - a * a;
        if slope.is_nan() || slope <= 0.0 {
            break;
        }
        let step = (a - r) / slope;
        let next = if kappa - step <= 0.0 { 0.5 * kappa } else { kappa - step };
        let converged = (next - kappa).abs() <= 1e-13 * kappa;
        kappa = next.min(KAPPA_MAX);
        if converged {
            break;
        }
    }
    kappa
}

/// Fisher's (1993) approximation to the inverse of A, good to a few per cent.
fn fisher_kappa(r: f64) -> f64 {
    if r < 0.53 {
        2.0 * r + r.powi(3) + 5.0 * r.powi(5) / 6.0
    } else if r < 0.85 {
        -0.4 + 1.39 * r + 0.43 / (1.0 - r)
    } else {
        1.0 / (r.powi(3) - 4.0 * r * r + 3.0 * r)
    }
}

/// The von Mises density at angle `x` around `mu`; finite for any kappa in [0, KAPPA_MAX].
pub fn von_mises_pdf(x: f64, mu: f64, kappa: f64) -> f64 {
    von_mises_from_cos((x - mu).cos(), kappa, von_mises_norm(kappa))
}

/// 1 / (2 pi I0e(kappa)), the factor that turns exp(kappa (cos d - 1)) into a density.
pub(crate) fn von_mises_norm(kappa: f64) -> f64 {
    1.0 / (2.0 * PI * i0e(kappa))
}

/// The von Mises density given cos(x - mu) and the normaliser from `von_mises_norm`.
pub(crate) fn von_mises_from_cos(cos_error: f64, kappa: f64, norm: f64) -> f64 {
    (kappa * (cos_error - 1.0)).exp() * norm
}

/// The M-step for kappa: the inverse of A at the weighted mean of cos(error), or `previous` without weight.
pub(crate) fn kappa_from_weighted_cos(sum_weighted_cos: f64, sum_weights: f64, previous: f64) -> f64 {
    if sum_weights <= 1e-300 {
        return previous;
    }
    inverse_bessel_ratio(sum_weighted_cos / sum_weights)
}

/// Checks that a set of angles is finite.
pub(crate) fn check_finite(name: &str, values: &[f64]) -> Result<(), String> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(format!("{name}[{i}] is {}; angles must be finite", values[i])),
        None => Ok(()),
    }
}

/// Checks the trials of a mixture fit: equal lengths, enough trials, finite angles, non-targets present.
fn validate(responses: &[f64], targets: &[f64], non_targets: &[Vec<f64>]) -> Result<(), String> {
    if responses.is_empty() {
        return Err("mixture fit needs trials; got none".into());
    }
    if targets.len() != responses.len() || non_targets.len() != responses.len() {
        return Err(format!(
            "mixture fit needs one target and one non-target list per response; got {} responses, {} targets, \
             {} non-target lists",
            responses.len(),
            targets.len(),
            non_targets.len()
        ));
    }
    if responses.len() < MIN_TRIALS {
        return Err(format!(
            "mixture fit needs at least {MIN_TRIALS} trials; got {}",
            responses.len()
        ));
    }
    check_finite("responses", responses)?;
    check_finite("targets", targets)?;
    for (i, nts) in non_targets.iter().enumerate() {
        if nts.is_empty() {
            return Err(format!(
                "trial {i} has no non-target angles; every trial needs at least one"
            ));
        }
        check_finite(&format!("non_targets[{i}]"), nts)?;
    }
    Ok(())
}

/// The trials reduced to what EM needs: cos(r - t) and, per trial, cos(r - nt_j).
struct Prepared {
    cos_target: Vec<f64>,
    cos_non_target: Vec<Vec<f64>>,
}

impl Prepared {
    fn new(responses: &[f64], targets: &[f64], non_targets: &[Vec<f64>]) -> Prepared {
        let cos_target = responses
            .iter()
            .zip(targets)
            .map(|(r, t)| wrap_angle(r - t).cos())
            .collect();
        let cos_non_target = responses
            .iter()
            .zip(non_targets)
            .map(|(r, nts)| nts.iter().map(|nt| wrap_angle(r - nt).cos()).collect())
            .collect();
        Prepared {
            cos_target,
            cos_non_target,
        }
    }

    fn len(&self) -> usize {
        self.cos_target.len()
    }
}

/// The parameters EM updates.
#[derive(Debug, Clone, Copy)]
struct Params {
    p_target: f64,
    p_swap: f64,
    p_guess: f64,
    kappa: f64,
}

/// One trial's unnormalised component densities (target, swap, guess).
fn component_densities(params: &Params, norm: f64, cos_target: f64, cos_non_target: &[f64]) -> [f64; 3] {
    let target = params.p_target * von_mises_from_cos(cos_target, params.kappa, norm);
    let swap_sum: f64 = cos_non_target
        .iter()
        .map(|&c| von_mises_from_cos(c, params.kappa, norm))
        .sum();
    let swap = params.p_swap * swap_sum / cos_non_target.len() as f64;
    let guess = params.p_guess / (2.0 * PI);
    [target, swap, guess]
}

/// What one E-step passes to the M-step.
struct Expectations {
    log_likelihood: f64,
    sum_target: f64,
    sum_swap: f64,
    sum_guess: f64,
    sum_weighted_cos: f64,
}

fn e_step(prep: &Prepared, params: &Params) -> Expectations {
    let norm = von_mises_norm(params.kappa);
    let mut e = Expectations {
        log_likelihood: 0.0,
        sum_target: 0.0,
        sum_swap: 0.0,
        sum_guess: 0.0,
        sum_weighted_cos: 0.0,
    };
    for (&ct, cnt) in prep.cos_target.iter().zip(&prep.cos_non_target) {
        let [target, swap, guess] = component_densities(params, norm, ct, cnt);
        let total = (target + swap + guess).max(f64::MIN_POSITIVE);
        e.log_likelihood += total.ln();
        let z_target = target / total;
        e.sum_target += z_target;
        e.sum_swap += swap / total;
        e.sum_guess += guess / total;
        e.sum_weighted_cos += z_target * ct + swap_weighted_cos(params, norm, cnt, total);
    }
    e
}

/// Sum over non-targets of (responsibility of swap to nt_j) * cos(r - nt_j).
fn swap_weighted_cos(params: &Params, norm: f64, cos_non_target: &[f64], total: f64) -> f64 {
    let weight = params.p_swap / cos_non_target.len() as f64 / total;
    cos_non_target
        .iter()
        .map(|&c| weight * von_mises_from_cos(c, params.kappa, norm) * c)
        .sum()
}

fn m_step(e: &Expectations, n: usize, previous: &Params) -> Params {
    let n = n as f64;
    Params {
        p_target: e.sum_target / n,
        p_swap: e.sum_swap / n,
        p_guess: e.sum_guess / n,
        kappa: kappa_from_weighted_cos(e.sum_weighted_cos, e.sum_target + e.sum_swap, previous.kappa),
    }
}

/// Runs EM from `params` for at most `max_iterations`; returns the parameters, their log-likelihood
/// and the number of iterations.
fn run_em(prep: &Prepared, mut params: Params, max_iterations: usize) -> (Params, f64, usize) {
    let mut e = e_step(prep, &params);
    let mut iterations = 0;
    while iterations < max_iterations {
        let next = m_step(&e, prep.len(), &params);
        let next_e = e_step(prep, &next);
        let change = (next_e.log_likelihood - e.log_likelihood).abs();
        params = next;
        e = next_e;
        iterations += 1;
        if change < LL_TOLERANCE {
            break;
        }
    }
    (params, e.log_likelihood, iterations)
}

/// Starting points spread over the weights and concentrations that matter.
fn starting_points() -> [Params; 4] {
    let start = |p_target, p_swap, p_guess, kappa| Params {
        p_target,
        p_swap,
        p_guess,
        kappa,
    };
    [
        start(0.7, 0.15, 0.15, 10.0),
        start(0.5, 0.25, 0.25, 3.0),
        start(0.9, 0.05, 0.05, 30.0),
        start(0.34, 0.33, 0.33, 1.0),
    ]
}

/// Fits the mixture by EM from several starts: each is screened for a few iterations and the most
/// likely one runs to convergence (log-likelihood change < 1e-9, or 500 iterations in all).
pub fn fit(responses: &[f64], targets: &[f64], non_targets: &[Vec<f64>]) -> Result<MixtureFit, String> {
    validate(responses, targets, non_targets)?;
    let prep = Prepared::new(responses, targets, non_targets);
    let mut best: Option<(Params, f64, usize)> = None;
    for start in starting_points() {
        let screened = run_em(&prep, start, SCREEN_ITERATIONS);
        if best.as_ref().is_none_or(|b| screened.1 > b.1) {
            best = Some(screened);
        }
    }
    let (params, _, screened_iterations) = best.ok_or("mixture fit had no starting point")?;
    let (params, log_likelihood, more) = run_em(&prep, params, MAX_ITERATIONS - screened_iterations);
    Ok(MixtureFit {
        p_target: params.p_target,
        p_swap: params.p_swap,
        p_guess: params.p_guess,
        kappa: params.kappa,
        log_likelihood,
        iterations: screened_iterations + more,
    })
}

/// Per-trial posterior probabilities of target, swap (summed over non-targets) and guess under `fit`.
pub fn responsibilities(
    responses: &[f64],
    targets: &[f64],
    non_targets: &[Vec<f64>],
    fit: &MixtureFit,
) -> Result<Responsibilities, String> {
    validate(responses, targets, non_targets)?;
    let params = params_of(fit)?;
    let prep = Prepared::new(responses, targets, non_targets);
    let norm = von_mises_norm(params.kappa);
    let n = prep.len();
    let mut out = Responsibilities {
        target: Vec::with_capacity(n),
        swap: Vec::with_capacity(n),
        guess: Vec::with_capacity(n),
    };
    for (&ct, cnt) in prep.cos_target.iter().zip(&prep.cos_non_target) {
        let [target, swap, guess] = component_densities(&params, norm, ct, cnt);
        let total = (target + swap + guess).max(f64::MIN_POSITIVE);
        out.target.push(target / total);
        out.swap.push(swap / total);
        out.guess.push(guess / total);
    }
    Ok(out)
}

/// Per-trial posterior probability that the response was a swap to one of the non-targets.
pub fn swap_responsibilities(
    responses: &[f64],
    targets: &[f64],
    non_targets: &[Vec<f64>],
    fit: &MixtureFit,
) -> Result<Vec<f64>, String> {
    Ok(responsibilities(responses, targets, non_targets, fit)?.swap)
}

/// Checks a fit's parameters before they are used to score trials.
fn params_of(fit: &MixtureFit) -> Result<Params, String> {
    let weights = [fit.p_target, fit.p_swap, fit.p_guess];
    if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || (weights.iter().sum::<f64>() - 1.0).abs() > 1e-6 {
        return Err(format!(
            "mixture weights must be non-negative and sum to 1; got {weights:?}"
        ));
    }
    if !fit.kappa.is_finite() || fit.kappa < 0.0 || fit.kappa > KAPPA_MAX {
        return Err(format!("kappa must be in [0, {KAPPA_MAX}]; got {}", fit.kappa));
    }
    Ok(Params {
        p_target: fit.p_target,
        p_swap: fit.p_swap,
        p_guess: fit.p_guess,
        kappa: fit.kappa,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Reference values computed from the power series in 80-digit decimal arithmetic.
    const BESSEL_REFERENCE: [(f64, f64, f64); 8] = [
        (0.5, 6.450_352_704_491_501e-1, 1.564_208_031_848_717e-1),
        (1.0, 4.657_596_075_936_404e-1, 2.079_104_153_497_084_4e-1),
        (5.0, 1.835_408_126_093_283_6e-1, 1.639_722_669_445_423_7e-1),
        (10.0, 1.278_333_371_634_286e-1, 1.212_626_813_844_555_2e-1),
        (15.0, 1.038_995_314_488_227_2e-1, 1.003_741_750_451_666_6e-1),
        (20.0, 8.978_031_188_482_602e-2, 8.750_622_218_328_867e-2),
        (50.0, 5.656_162_664_745_419e-2, 5.599_312_389_289_54e-2),
        (500.0, 1.784_570_650_015_316_8e-2, 1.782_785_185_289_805_6e-2),
    ];

    #[test]
    fn scaled_bessel_functions_match_reference_values() {
        for (x, i0, i1) in BESSEL_REFERENCE {
            assert!((i0e(x) / i0 - 1.0).abs() < 1e-12, "i0e({x}) = {} vs {i0}", i0e(x));
            assert!((i1e(x) / i1 - 1.0).abs() < 1e-12, "i1e({x}) = {} vs {i1}", i1e(x));
        }
        assert!((i1e(-1.0) + i1e(1.0)).abs() < 1e-15);
        assert_eq!(i0e(0.0), 1.0);
    }

    #[test]
    fn inverse_bessel_ratio_inverts_the_ratio() {
        for kappa in [0.01, 0.3, 1.0, 2.5, 8.0, 30.0, 150.0, 500.0, 5000.0] {
            let back = inverse_bessel_ratio(bessel_ratio(kappa));
            assert!((back / kappa - 1.0).abs() < 1e-8, "kappa {kappa} -> {back}");
        }
        assert_eq!(inverse_bessel_ratio(0.0), 0.0);
        assert_eq!(inverse_bessel_ratio(-0.2), 0.0);
        assert_eq!(inverse_bessel_ratio(1.0), KAPPA_MAX);
    }

    #[test]
    fn von_mises_density_integrates_to_one_for_large_kappa() {
        for kappa in [0.0, 1.0, 50.0, 500.0] {
            let n = 200_000;
            let step = 2.0 * PI / n as f64;
            let total: f64 = (0..n)
                .map(|i| von_mises_pdf(-PI + (i as f64 + 0.5) * step, 0.3, kappa) * step)
                .sum();
            assert!((total - 1.0).abs() < 1e-6, "kappa {kappa}: {total}");
        }
    }

    /// Trials from the mixture with two uniformly placed non-targets per trial.
    fn synthetic(n: usize, p_target: f64, p_swap: f64, kappa: f64, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
        let mut rng = Rng::derive(seed, "mixture-test");
        let (mut responses, mut targets, mut non_targets) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let target = rng.uniform_in(-PI, PI);
            let nts = vec![rng.uniform_in(-PI, PI), rng.uniform_in(-PI, PI)];
            let u = rng.uniform();
            let response = if u < p_target {
                rng.von_mises(target, kappa)
            } else if u < p_target + p_swap {
                let j = rng.below(nts.len() as u64) as usize;
                rng.von_mises(nts[j], kappa)
            } else {
                rng.uniform_in(-PI, PI)
            };
            responses.push(response);
            targets.push(target);
            non_targets.push(nts);
        }
        (responses, targets, non_targets)
    }

    #[test]
    fn recovers_known_mixture_parameters() {
        let (r, t, nt) = synthetic(20_000, 0.7, 0.2, 8.0, 11);
        let fit = fit(&r, &t, &nt).unwrap();
        assert!((fit.p_target - 0.7).abs() < 0.02, "{fit:?}");
        assert!((fit.p_swap - 0.2).abs() < 0.02, "{fit:?}");
        assert!((fit.p_guess - 0.1).abs() < 0.02, "{fit:?}");
        assert!((fit.kappa / 8.0 - 1.0).abs() < 0.10, "{fit:?}");
        assert!((fit.p_target + fit.p_swap + fit.p_guess - 1.0).abs() < 1e-12);
        assert!(fit.iterations <= MAX_ITERATIONS);
    }

    #[test]
    fn pure_target_data_has_almost_no_swaps() {
        let (r, t, nt) = synthetic(5_000, 1.0, 0.0, 12.0, 12);
        let fit = fit(&r, &t, &nt).unwrap();
        assert!(fit.p_swap < 0.02, "{fit:?}");
        assert!(fit.p_target > 0.97, "{fit:?}");
    }

    #[test]
    fn swap_responsibilities_flag_responses_near_a_non_target() {
        let (r, t, nt) = synthetic(5_000, 0.7, 0.2, 8.0, 13);
        let fit = fit(&r, &t, &nt).unwrap();
        let resp = responsibilities(&r, &t, &nt, &fit).unwrap();
        let mean_swap = resp.swap.iter().sum::<f64>() / r.len() as f64;
        assert!((mean_swap - fit.p_swap).abs() < 1e-6, "{mean_swap} vs {}", fit.p_swap);
        for i in 0..r.len() {
            assert!((resp.target[i] + resp.swap[i] + resp.guess[i] - 1.0).abs() < 1e-12);
        }
        // A response on a far non-target is mostly a swap (the guess component keeps a share); one on
        // the target is not.
        let probe_r = vec![2.0; MIN_TRIALS];
        let probe_t = vec![-1.0; MIN_TRIALS];
        let probe_nt = vec![vec![2.0]; MIN_TRIALS];
        let swaps = swap_responsibilities(&probe_r, &probe_t, &probe_nt, &fit).unwrap();
        let on_target = fit.p_target * von_mises_pdf(2.0, -1.0, fit.kappa);
        let on_swap = fit.p_swap * von_mises_pdf(0.0, 0.0, fit.kappa);
        let expected = on_swap / (on_target + on_swap + fit.p_guess / (2.0 * PI));
        assert!((swaps[0] - expected).abs() < 1e-12, "{} vs {expected}", swaps[0]);
        assert!(swaps[0] > 0.9, "{}", swaps[0]);
        let swaps = swap_responsibilities(&probe_t, &probe_t, &probe_nt, &fit).unwrap();
        assert!(swaps[0] < 0.05, "{}", swaps[0]);
    }

    #[test]
    fn rejects_bad_input() {
        let nt = vec![vec![0.5]; 20];
        assert!(fit(&[], &[], &[]).unwrap_err().contains("none"));
        assert!(fit(&[0.0; 20], &[0.0; 19], &nt).unwrap_err().contains("19 targets"));
        assert!(fit(&[0.0; 5], &[0.0; 5], &nt[..5]).unwrap_err().contains("at least"));
        let mut r = vec![0.0; 20];
        r[3] = f64::NAN;
        assert!(fit(&r, &[0.0; 20], &nt).unwrap_err().contains("responses[3]"));
        let mut bad_nt = nt.clone();
        bad_nt[2] = vec![f64::INFINITY];
        assert!(
            fit(&[0.0; 20], &[0.0; 20], &bad_nt)
                .unwrap_err()
                .contains("non_targets[2]")
        );
        bad_nt[2] = vec![];
        assert!(
            fit(&[0.0; 20], &[0.0; 20], &bad_nt)
                .unwrap_err()
                .contains("no non-target")
        );
        let bad_fit = MixtureFit {
            p_target: 0.5,
            p_swap: 0.2,
            p_guess: 0.2,
            kappa: 3.0,
            log_likelihood: 0.0,
            iterations: 0,
        };
        assert!(responsibilities(&[0.0; 20], &[0.0; 20], &nt, &bad_fit).is_err());
    }
}
