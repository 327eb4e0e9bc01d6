//! Diffusion training of a rate network (Radmard, Bays & Lengyel 2025; science.md, pipeline 3).
//!
//! The response space (the task's outputs, 2-D for `working_memory`) is embedded in the state by a
//! fixed orthonormal matrix B `[N, k]`: the network's response is y = x B. The response epoch's K
//! steps are the K steps of a DDPM with a linear beta schedule, run backwards (t = K .. 1).
//!
//! Training: each trial's target response x_0 is noised forward to x_1 .. x_K. The network runs
//! through the preparatory epochs; at each response step its state's behavioural coordinates are
//! overwritten with x_t (teacher forcing) and its one-step mean `(1-a) x + a phi(x) W_rec + drive`,
//! read out through B, is regressed onto the DDPM posterior mean mu(x_t, x_0) of x_(t-1). The
//! network's drift so learns the denoiser; it knows t from the task's time-embedding inputs.
//!
//! Sampling: at the first response step the behavioural coordinates are set to standard normal
//! noise (the DDPM's starting point); then the network runs freely, its own noise in the
//! behavioural subspace having the schedule's variance beta_t (none on the last step). Its
//! behavioural coordinates at the end are a sample from the response distribution it learned.

use super::ctrnn::{Ctrnn, Rollout, gaussian};
use super::tensor_ops::activate;
use crate::op_error::OpError;
use crate::rng::Rng;
use candle_core::{DType, Result, Tensor};

/// The DDPM schedule and where in the trial it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffusionConfig {
    pub beta_start: f64,
    pub beta_end: f64,
    /// First step of the response epoch.
    pub response_start: usize,
    /// Steps of the response epoch: the number of diffusion steps K.
    pub response_steps: usize,
    /// How each step's squared error is weighted in the loss.
    pub weighting: Weighting,
}

/// The weight of diffusion step t in the loss (weights are normalised to average 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weighting {
    /// Every step alike: the error of the predicted posterior mean.
    Uniform,
    /// By 1 / c0_t^2: the error of the implied prediction of x_0. Early (noisy) steps, where only
    /// the stimulus can say which colour to report, weigh more.
    X0,
}

impl Weighting {
    pub fn from_name(name: &str) -> Option<Weighting> {
        match name {
            "uniform" => Some(Weighting::Uniform),
            "x0" => Some(Weighting::X0),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Weighting::Uniform => "uniform",
            Weighting::X0 => "x0",
        }
    }
}

impl DiffusionConfig {
    /// beta_t for t = 1 .. K, at index t - 1: linear from `beta_start` to `beta_end`.
    pub fn betas(&self) -> Vec<f64> {
        let k = self.response_steps;
        (0..k)
            .map(|i| {
                let f = if k > 1 { i as f64 / (k - 1) as f64 } else { 0.0 };
                self.beta_start + f * (self.beta_end - self.beta_start)
            })
            .collect()
    }

    /// alpha_bar_t = prod_(s <= t) (1 - beta_s), at index t - 1.
    pub fn alpha_bars(&self) -> Vec<f64> {
        self.betas()
            .iter()
            .scan(1.0, |acc, b| {
                *acc *= 1.0 - b;
                Some(*acc)
            })
            .collect()
    }

    /// The posterior mean of x_(t-1) given x_t and x_0 is `c0 x_0 + ct x_t`; returns (c0, ct).
    pub fn posterior(&self, t: usize) -> (f64, f64) {
        let (betas, bars) = (self.betas(), self.alpha_bars());
        let beta = betas[t - 1];
        let bar = bars[t - 1];
        let bar_prev = if t > 1 { bars[t - 2] } else { 1.0 };
        (
            bar_prev.sqrt() * beta / (1.0 - bar),
            (1.0 - beta).sqrt() * (1.0 - bar_prev) / (1.0 - bar),
        )
    }

    /// The loss weight of each response step (diffusion step t = K - k at index k), averaging 1.
    pub fn step_weights(&self) -> Vec<f64> {
        let raw: Vec<f64> = (0..self.response_steps)
            .map(|k| match self.weighting {
                Weighting::Uniform => 1.0,
                Weighting::X0 => {
                    let (c0, _) = self.posterior(self.response_steps - k);
                    1.0 / (c0 * c0).max(1e-12)
                }
            })
            .collect();
        let mean = raw.iter().sum::<f64>() / raw.len().max(1) as f64;
        raw.iter().map(|w| w / mean).collect()
    }

    /// The noise std in the behavioural subspace at response step `k` (diffusion step t = K - k)
    /// when sampling: sqrt(beta_t), and none on the last step (t = 1).
    pub fn sampling_std(&self, k: usize) -> f64 {
        let t = self.response_steps - k;
        if t > 1 { self.betas()[t - 1].sqrt() } else { 0.0 }
    }
}

/// A random `[n, k]` matrix with orthonormal columns (Gram-Schmidt on Gaussian columns).
pub fn behaviour_embedding(n: usize, k: usize, rng: &mut Rng) -> std::result::Result<Vec<f32>, OpError> {
    if k > n {
        return Err(OpError::invalid(format!(
            "a diffusion network needs at least as many units as outputs ({k}); it has {n}"
        )));
    }
    let mut columns: Vec<Vec<f64>> = Vec::with_capacity(k);
    while columns.len() < k {
        let mut v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        for c in &columns {
            let dot: f64 = v.iter().zip(c).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(c).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            columns.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    Ok((0..n).flat_map(|i| columns.iter().map(move |c| c[i] as f32)).collect())
}

impl Ctrnn {
    fn diffusion_parts(&self) -> Result<(&DiffusionConfig, &Tensor)> {
        match (&self.config.diffusion, &self.behaviour) {
            (Some(d), Some(b)) => Ok((d, b)),
            _ => candle_core::bail!("the network was not set up for diffusion"),
        }
    }

    /// Replaces the behavioural coordinates of `x` `[B, N]` by `y` `[B, k]`.
    fn force(x: &Tensor, y: &Tensor, b: &Tensor) -> Result<Tensor> {
        let bt = b.t()?;
        (x - x.matmul(b)?.matmul(&bt)?)? + y.matmul(&bt)?
    }

    /// Runs the preparatory steps before the response epoch: rates `[B, s, N]` (or `None`) and
    /// the state at the end.
    fn prepare(&self, drive: &Tensor, x0: &Tensor, start: usize) -> Result<(Option<Tensor>, Tensor)> {
        if start == 0 {
            return Ok((None, x0.clone()));
        }
        let drive = drive.narrow(1, 0, start)?;
        let rates = self.recur(&drive, x0)?;
        let end = self.states_from_rates(&drive, x0, &rates, None, true)?.squeeze(1)?;
        Ok((Some(rates), end))
    }

    /// Sampling (see the module's notes); `drive` already holds the model's own noise.
    pub(crate) fn sample_responses(&self, drive: &Tensor, x0: &Tensor, rng: &mut Rng) -> Result<Rollout> {
        let (d, b) = self.diffusion_parts()?;
        let (batch, steps, n) = drive.dims3()?;
        let (start, k_steps, k) = (d.response_start, d.response_steps, b.dim(1)?);
        if start + k_steps > steps {
            candle_core::bail!(
                "the trial has {steps} steps; the network's response epoch ends at {}",
                start + k_steps
            )
        }
        let dtype = drive.dtype();
        let (prep_rates, end) = self.prepare(drive, x0, start)?;
        let start_noise = Tensor::from_vec(gaussian(rng, batch * k, 1.0), (batch, k), &self.device)?.to_dtype(dtype)?;
        let x_start = Self::force(&end, &start_noise, b)?;
        let rest = steps - start;
        let mut noise = vec![0f32; batch * rest * k];
        for trial in 0..batch {
            for step in 0..k_steps {
                let std = d.sampling_std(step);
                for j in 0..k {
                    noise[(trial * rest + step) * k + j] = (rng.normal() * std) as f32;
                }
            }
        }
        let noise = Tensor::from_vec(noise, (batch * rest, k), &self.device)?
            .to_dtype(dtype)?
            .matmul(&b.t()?)?
            .reshape((batch, rest, n))?;
        let response_drive = (drive.narrow(1, start, rest)? + noise)?;
        let rates = self.recur(&response_drive, &x_start)?;
        let outputs = self.states_from_rates(&response_drive, &x_start, &rates, Some(b), false)?;
        match prep_rates {
            Some(prep) => {
                let prep_drive = drive.narrow(1, 0, start)?;
                let prep_out = self.states_from_rates(&prep_drive, x0, &prep, Some(b), false)?;
                Ok(Rollout {
                    rates: Tensor::cat(&[&prep, &rates], 1)?,
                    outputs: Tensor::cat(&[&prep_out, &outputs], 1)?,
                })
            }
            None => Ok(Rollout { rates, outputs }),
        }
    }

    /// The teacher-forced training pass: the rollout (rates; outputs are the predicted means,
    /// zero outside the response epoch) and the diffusion loss, the mean squared distance between
    /// predicted and posterior means over response steps, trials and dimensions. `targets`
    /// `[B, k]` are the responses x_0.
    ///
    /// Forcing is folded into the ordinary recurrence so that the fused operation runs it: with
    /// P = I - B B^T and the forced state x~[t] = x[t] P + y_t B^T,
    /// x~[t+1] = (1-a) x~[t] + a phi(x~[t]) (W_rec P) + drive[t] P + (y_(t+1) - (1-a) y_t) B^T.
    /// The predicted mean at step t is (1-a) y_t + a phi(x~[t]) W_rec B + drive[t] B.
    pub fn diffusion_rollout(&self, inputs: &Tensor, targets: &Tensor, rng: &mut Rng) -> Result<(Rollout, Tensor)> {
        let (d, b) = self.diffusion_parts()?;
        let (batch, steps, _) = inputs.dims3()?;
        let (start, k_steps, k) = (d.response_start, d.response_steps, b.dim(1)?);
        if start + k_steps > steps || k_steps == 0 {
            candle_core::bail!(
                "the trial has {steps} steps; the network's response epoch ends at {}",
                start + k_steps
            )
        }
        let n = self.config.units;
        let a = self.config.alpha();
        let (u, noise) = self.noisy_inputs(inputs, super::ctrnn::Noise::default(), rng)?;
        let dtype = u.dtype();
        let x0 = self.initial_state(batch)?;
        let with_noise = |drive: Tensor, from: usize, len: usize| -> Result<Tensor> {
            match &noise {
                Some(noise) => drive + noise.narrow(1, from, len)?,
                None => Ok(drive),
            }
        };
        let (prep_rates, end) = if start > 0 {
            let drive = with_noise(self.project_inputs(&u.narrow(1, 0, start)?)?, 0, start)?;
            let rates = self.recur(&drive, &x0)?;
            let end = self.states_from_rates(&drive, &x0, &rates, None, true)?.squeeze(1)?;
            (Some(rates), end)
        } else {
            (None, x0)
        };

        // y_k: the forced behavioural coordinates at response step k (diffusion step t = K - k).
        let targets = targets.to_dtype(dtype)?;
        let chain = forward_chain(d, &targets.to_dtype(DType::F64)?.to_vec2::<f64>()?, rng);
        let mut forced = Vec::with_capacity(batch * k_steps * k);
        for trial in 0..batch {
            for step in 0..k_steps {
                let t = k_steps - step;
                forced.extend_from_slice(&chain[t - 1][trial * k..(trial + 1) * k]);
            }
        }
        let y = Tensor::from_vec(forced, (batch, k_steps, k), &self.device)?.to_dtype(dtype)?;
        let y_first = y.narrow(1, 0, 1)?.squeeze(1)?;
        let x_start = Self::force(&end, &y_first, b)?;

        let bt = b.t()?.contiguous()?;
        let eye = Tensor::eye(n, dtype, &self.device)?;
        let keep = (eye - b.matmul(&bt)?)?;
        let w_rec = self.effective_w_rec()?;
        let response_drive = self.project_inputs(&u.narrow(1, start, k_steps)?)?;
        // Phi: phi(x~) at every response step, [B, K, N]; the fused recurrence gives steps 1..K-1.
        let first_rate = activate(self.config.activation, &x_start)?.unsqueeze(1)?;
        let phi = if k_steps > 1 {
            let between = k_steps - 1;
            let drive = with_noise(response_drive.narrow(1, 0, between)?, start, between)?;
            let drive = drive
                .reshape((batch * between, n))?
                .matmul(&keep)?
                .reshape((batch, between, n))?;
            let shift = (y.narrow(1, 1, between)? - (y.narrow(1, 0, between)? * (1.0 - a))?)?;
            let shift = shift
                .reshape((batch * between, k))?
                .matmul(&bt)?
                .reshape((batch, between, n))?;
            let rates = self.recur_with(&(drive + shift)?, &x_start, &w_rec.matmul(&keep)?)?;
            Tensor::cat(&[&first_rate, &rates], 1)?
        } else {
            first_rate
        };
        let recurrent = (phi.reshape((batch * k_steps, n))?.matmul(&w_rec.matmul(b)?)? * a)?;
        let external = response_drive.reshape((batch * k_steps, n))?.matmul(b)?;
        let predicted = ((recurrent + external)?.reshape((batch, k_steps, k))? + (&y * (1.0 - a))?)?;
        let mut posterior = Vec::with_capacity(k_steps);
        for step in 0..k_steps {
            let (c0, ct) = d.posterior(k_steps - step);
            let y_step = y.narrow(1, step, 1)?.squeeze(1)?;
            posterior.push(((&targets * c0)? + (y_step * ct)?)?);
        }
        let posterior = Tensor::stack(&posterior, 1)?;
        let weights = Tensor::from_vec(d.step_weights(), (1, k_steps, 1), &self.device)?.to_dtype(dtype)?;
        let loss = (&predicted - posterior)?.sqr()?.broadcast_mul(&weights)?.mean_all()?;

        let mut outputs = vec![Tensor::zeros((batch, start, k), dtype, &self.device)?, predicted];
        if steps > start + k_steps {
            outputs.push(Tensor::zeros((batch, steps - start - k_steps, k), dtype, &self.device)?);
        }
        let rates = match prep_rates {
            Some(prep) => Tensor::cat(&[&prep, &phi], 1)?,
            None => phi,
        };
        Ok((
            Rollout {
                rates,
                outputs: Tensor::cat(&outputs, 1)?,
            },
            loss,
        ))
    }
}

/// The forward (noising) chain x_1 .. x_K from each trial's x_0, at index t - 1, as flat
/// `[B * k]` vectors.
fn forward_chain(d: &DiffusionConfig, x0: &[Vec<f64>], rng: &mut Rng) -> Vec<Vec<f32>> {
    let betas = d.betas();
    let mut current: Vec<f64> = x0.iter().flatten().copied().collect();
    let mut chain = Vec::with_capacity(betas.len());
    for beta in betas {
        for v in current.iter_mut() {
            *v = (1.0 - beta).sqrt() * *v + beta.sqrt() * rng.normal();
        }
        chain.push(current.iter().map(|&v| v as f32).collect());
    }
    chain
}

/// Where the loss mask is on in a batch: one contiguous block of steps, the same in every trial.
/// Returns (first step, steps).
pub fn response_window(
    mask: &[f32],
    n_trials: usize,
    n_steps: usize,
    n_out: usize,
) -> std::result::Result<(usize, usize), OpError> {
    let on = |trial: usize, step: usize| {
        let row = (trial * n_steps + step) * n_out;
        mask[row..row + n_out].iter().any(|&m| m > 0.0)
    };
    let steps: Vec<usize> = (0..n_steps).filter(|&s| on(0, s)).collect();
    let (Some(&first), Some(&last)) = (steps.first(), steps.last()) else {
        return Err(OpError::invalid(
            "the diffusion loss needs a task whose targets count on some steps; this one has none",
        ));
    };
    let contiguous = last - first + 1 == steps.len();
    let same = (1..n_trials).all(|trial| (0..n_steps).all(|s| on(trial, s) == on(0, s)));
    if !contiguous || !same {
        return Err(OpError::invalid(
            "the diffusion loss needs a task whose response epoch is one block of steps at the same time in every trial",
        ));
    }
    Ok((first, steps.len()))
}

#[cfg(test)]
#[path = "diffusion_tests.rs"]
mod tests;
