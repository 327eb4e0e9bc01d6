//! Cross-validated linear decoding of a circular variable from population activity: ridge regression
//! from standardised activity to (cos theta, sin theta), decoded angle = atan2.

use nalgebra::DMatrix;

use crate::rng::Rng;

/// The default ridge penalty.
pub const DEFAULT_LAMBDA: f64 = 1.0;

/// The default number of cross-validation folds.
pub const DEFAULT_FOLDS: usize = 5;

/// Settings of a cross-validated decoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodingOptions {
    pub lambda: f64,
    pub folds: usize,
}

impl Default for DecodingOptions {
    fn default() -> Self {
        DecodingOptions {
            lambda: DEFAULT_LAMBDA,
            folds: DEFAULT_FOLDS,
        }
    }
}

/// A fitted linear decoder of an angle.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoder {
    pub n_units: usize,
    /// Per-unit mean and standard deviation of the training activity (1 for constant units).
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    /// Per-unit weights onto (cos, sin), for standardised activity.
    pub weights: Vec<[f64; 2]>,
    pub intercept: [f64; 2],
}

/// Held-out decoding performance.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValidated {
    /// Mean over trials of cos(decoded - true): 1 is perfect, 0 is chance.
    pub mean_cos: f64,
    /// Each trial's decoded angle from the fold that held it out, in the input's trial order.
    pub decoded: Vec<f64>,
}

/// Checks a row-major activity matrix and returns its number of rows.
fn check_activity(x: &[f64], n_units: usize) -> Result<usize, String> {
    if n_units == 0 {
        return Err("decoding needs at least one unit".into());
    }
    if x.is_empty() || !x.len().is_multiple_of(n_units) {
        return Err(format!(
            "activity has {} values, not a positive multiple of {n_units} units",
            x.len()
        ));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "activity value {i} (trial {}, unit {}) is not finite",
            i / n_units,
            i % n_units
        ));
    }
    Ok(x.len() / n_units)
}

/// Checks activity, angles and penalty together; returns the number of trials.
fn check_inputs(x: &[f64], n_units: usize, theta: &[f64], lambda: f64) -> Result<usize, String> {
    let n_trials = check_activity(x, n_units)?;
    if theta.len() != n_trials {
        return Err(format!(
            "activity has {n_trials} trials but there are {} angles",
            theta.len()
        ));
    }
    if let Some(i) = theta.iter().position(|v| !v.is_finite()) {
        return Err(format!("angle {i} is {}; angles must be finite", theta[i]));
    }
    if !lambda.is_finite() || lambda < 0.0 {
        return Err(format!("ridge lambda must be finite and non-negative; got {lambda}"));
    }
    Ok(n_trials)
}

/// Per-unit mean and standard deviation; a constant unit gets scale 1.
fn standardisation(x: &[f64], n_units: usize) -> (Vec<f64>, Vec<f64>) {
    let n = (x.len() / n_units) as f64;
    let mut mean = vec![0.0; n_units];
    for row in x.chunks(n_units) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v / n);
    }
    let mut var = vec![0.0; n_units];
    for row in x.chunks(n_units) {
        var.iter_mut()
            .zip(row)
            .zip(&mean)
            .for_each(|((s, v), m)| *s += (v - m).powi(2) / n);
    }
    let scale = var
        .into_iter()
        .map(|v| if v.sqrt() > 1e-12 { v.sqrt() } else { 1.0 })
        .collect();
    (mean, scale)
}

/// Fits a ridge decoder of `theta` from `x` (n_trials x n_units, row-major). The intercept is not
/// penalised; with `lambda = 0` the fit fails if the standardised activity is rank-deficient.
pub fn fit(x: &[f64], n_units: usize, theta: &[f64], lambda: f64) -> Result<Decoder, String> {
    let n_trials = check_inputs(x, n_units, theta, lambda)?;
    let (mean, scale) = standardisation(x, n_units);
    let z = DMatrix::from_fn(n_trials, n_units, |i, j| (x[i * n_units + j] - mean[j]) / scale[j]);
    let intercept = [
        theta.iter().map(|t| t.cos()).sum::<f64>() / n_trials as f64,
        theta.iter().map(|t| t.sin()).sum::<f64>() / n_trials as f64,
    ];
    let y = DMatrix::from_fn(n_trials, 2, |i, k| {
        let target = if k == 0 { theta[i].cos() } else { theta[i].sin() };
        target - intercept[k]
    });
    let gram = z.transpose() * &z + DMatrix::<f64>::identity(n_units, n_units) * lambda;
    let rhs = z.transpose() * y;
    let cholesky = gram
        .cholesky()
        .ok_or("ridge system is singular; use a positive lambda or remove redundant units")?;
    let w = cholesky.solve(&rhs);
    let weights = (0..n_units).map(|j| [w[(j, 0)], w[(j, 1)]]).collect();
    Ok(Decoder {
        n_units,
        mean,
        scale,
        weights,
        intercept,
    })
}

impl Decoder {
    /// Decoded angles in (-pi, pi] for the trials of `x` (row-major, `self.n_units` wide).
    pub fn predict(&self, x: &[f64]) -> Result<Vec<f64>, String> {
        check_activity(x, self.n_units)?;
        Ok(x.chunks(self.n_units).map(|row| self.predict_row(row)).collect())
    }

    fn predict_row(&self, row: &[f64]) -> f64 {
        let mut out = self.intercept;
        for (((v, m), s), w) in row.iter().zip(&self.mean).zip(&self.scale).zip(&self.weights) {
            let z = (v - m) / s;
            out[0] += z * w[0];
            out[1] += z * w[1];
        }
        out[1].atan2(out[0])
    }
}

/// Mean of cos(decoded - truth) over trials.
pub fn mean_cosine(decoded: &[f64], truth: &[f64]) -> Result<f64, String> {
    if decoded.is_empty() || decoded.len() != truth.len() {
        return Err(format!(
            "mean cosine needs equal, non-empty lengths; got {} and {}",
            decoded.len(),
            truth.len()
        ));
    }
    if decoded.iter().chain(truth).any(|v| !v.is_finite()) {
        return Err("mean cosine got a NaN or infinite angle".into());
    }
    Ok(decoded.iter().zip(truth).map(|(d, t)| (d - t).cos()).sum::<f64>() / decoded.len() as f64)
}

/// The trials of each fold: a seeded shuffle cut into `k` contiguous, near-equal parts.
fn folds(n_trials: usize, k: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n_trials).collect();
    rng.shuffle(&mut order);
    (0..k)
        .map(|f| order[f * n_trials / k..(f + 1) * n_trials / k].to_vec())
        .collect()
}

/// The rows `idx` of a row-major matrix.
fn rows(x: &[f64], n_units: usize, idx: &[usize]) -> Vec<f64> {
    idx.iter()
        .flat_map(|&i| x[i * n_units..(i + 1) * n_units].iter().copied())
        .collect()
}

/// k-fold cross-validated decoding of `theta` from `x` (n_trials x n_units, row-major).
pub fn cross_validate(
    x: &[f64],
    n_units: usize,
    theta: &[f64],
    options: &DecodingOptions,
    rng: &mut Rng,
) -> Result<CrossValidated, String> {
    let n_trials = check_inputs(x, n_units, theta, options.lambda)?;
    if options.folds < 2 {
        return Err(format!(
            "cross-validation needs at least 2 folds; got {}",
            options.folds
        ));
    }
    if n_trials < options.folds {
        return Err(format!(
            "cross-validation with {} folds needs at least as many trials; got {n_trials}",
            options.folds
        ));
    }
    let folds = folds(n_trials, options.folds, rng);
    let mut decoded = vec![0.0; n_trials];
    for (f, held_out) in folds.iter().enumerate() {
        let train: Vec<usize> = folds
            .iter()
            .enumerate()
            .filter(|(g, _)| *g != f)
            .flat_map(|(_, idx)| idx.iter().copied())
            .collect();
        let train_theta: Vec<f64> = train.iter().map(|&i| theta[i]).collect();
        let decoder = fit(&rows(x, n_units, &train), n_units, &train_theta, options.lambda)?;
        let predicted = decoder.predict(&rows(x, n_units, held_out))?;
        for (&i, p) in held_out.iter().zip(predicted) {
            decoded[i] = p;
        }
    }
    let mean_cos = mean_cosine(&decoded, theta)?;
    Ok(CrossValidated { mean_cos, decoded })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    const N_UNITS: usize = 30;

    /// Activity = a fixed random linear embedding of (cos, sin) plus unit Gaussian noise times `noise`,
    /// with `signal` scaling the embedding.
    fn population(n: usize, signal: f64, noise: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut embed = Rng::derive(40, "decoding-embedding");
        let a: Vec<[f64; 2]> = (0..N_UNITS).map(|_| [embed.normal(), embed.normal()]).collect();
        let mut rng = Rng::derive(seed, "decoding-trials");
        let theta: Vec<f64> = (0..n).map(|_| rng.uniform_in(-PI, PI)).collect();
        let x = theta
            .iter()
            .flat_map(|t| {
                let row: Vec<f64> = a
                    .iter()
                    .map(|w| signal * (w[0] * t.cos() + w[1] * t.sin()) + 2.0 + noise * rng.normal())
                    .collect();
                row
            })
            .collect();
        (x, theta)
    }

    #[test]
    fn decodes_an_embedded_angle() {
        let (x, theta) = population(500, 1.0, 0.3, 41);
        let mut rng = Rng::derive(42, "folds");
        let result = cross_validate(&x, N_UNITS, &theta, &DecodingOptions::default(), &mut rng).unwrap();
        assert!(result.mean_cos > 0.95, "{}", result.mean_cos);
        assert_eq!(result.decoded.len(), theta.len());
        // Decoded angles sit in the input's order: each is close to its own trial's angle.
        let close = result
            .decoded
            .iter()
            .zip(&theta)
            .filter(|(d, t)| (*d - *t).cos() > 0.8)
            .count();
        assert!(close > 480, "{close}");
    }

    #[test]
    fn pure_noise_decodes_at_chance() {
        let (x, theta) = population(500, 0.0, 1.0, 43);
        let mut rng = Rng::derive(44, "folds");
        let result = cross_validate(&x, N_UNITS, &theta, &DecodingOptions::default(), &mut rng).unwrap();
        assert!(result.mean_cos.abs() < 0.15, "{}", result.mean_cos);
    }

    #[test]
    fn a_decoder_transfers_to_new_trials() {
        let (train_x, train_theta) = population(400, 1.0, 0.3, 45);
        let (test_x, test_theta) = population(200, 1.0, 0.3, 46);
        let decoder = fit(&train_x, N_UNITS, &train_theta, DEFAULT_LAMBDA).unwrap();
        let decoded = decoder.predict(&test_x).unwrap();
        assert!(mean_cosine(&decoded, &test_theta).unwrap() > 0.95);
        // A decoder applied to trials whose angle was shifted by pi scores near -1.
        let shifted: Vec<f64> = test_theta.iter().map(|t| t + PI).collect();
        assert!(mean_cosine(&decoded, &shifted).unwrap() < -0.95);
        assert!(decoder.predict(&test_x[..N_UNITS - 1]).is_err());
    }

    #[test]
    fn folds_are_reproducible_for_a_seed() {
        let (x, theta) = population(100, 1.0, 0.5, 47);
        let run = |seed| {
            let mut rng = Rng::derive(seed, "folds");
            cross_validate(&x, N_UNITS, &theta, &DecodingOptions::default(), &mut rng).unwrap()
        };
        assert_eq!(run(1), run(1));
        let f = folds(12, 5, &mut Rng::derive(1, "f"));
        let mut all: Vec<usize> = f.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, (0..12).collect::<Vec<_>>());
        assert!(f.iter().all(|fold| fold.len() == 2 || fold.len() == 3));
    }

    #[test]
    fn rejects_bad_input() {
        let mut rng = Rng::derive(48, "folds");
        let options = DecodingOptions::default();
        let x = vec![0.5; 4 * 3];
        let theta = vec![0.1; 4];
        assert!(
            cross_validate(&x, 3, &theta, &options, &mut rng)
                .unwrap_err()
                .contains("at least as many trials")
        );
        assert!(
            cross_validate(&x, 3, &theta[..3], &options, &mut rng)
                .unwrap_err()
                .contains("3 angles")
        );
        assert!(cross_validate(&x[..11], 3, &theta, &options, &mut rng).is_err());
        assert!(cross_validate(&x, 0, &theta, &options, &mut rng).is_err());
        let one_fold = DecodingOptions { folds: 1, ..options };
        assert!(
            cross_validate(&x, 3, &theta, &one_fold, &mut rng)
                .unwrap_err()
                .contains("2 folds")
        );
        let mut nan = x.clone();
        nan[5] = f64::NAN;
        assert!(fit(&nan, 3, &theta, 1.0).unwrap_err().contains("trial 1, unit 2"));
        assert!(fit(&x, 3, &theta, -1.0).unwrap_err().contains("lambda"));
        assert!(fit(&x, 3, &theta, 0.0).unwrap_err().contains("singular"));
        assert!(mean_cosine(&[], &[]).is_err());
    }
}
