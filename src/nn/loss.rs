//! Losses from a `loss` definition: a weighted sum of terms, each recorded separately.

use super::ctrnn::{Ctrnn, Rollout};
pub use super::loss_spec::{Loss, Term};
use super::loss_term::LossTerm;
use crate::definition::Definition;
use candle_core::{Result, Tensor};

/// One evaluated term: its label (the operator, numbered if repeated), weight and value.
pub struct TermValue {
    pub label: String,
    pub weight: f64,
    pub value: Tensor,
}

/// Recorded rates for the `activity` term, on the device.
#[derive(Clone, Copy)]
pub struct ActivityTargets<'a> {
    /// `[k]` (u32): the student unit of each recorded unit.
    pub units: &'a Tensor,
    /// `[B, T, k]`: the recorded rates.
    pub rates: &'a Tensor,
    /// `[B, T, 1]`: 1 where a step counts.
    pub mask: &'a Tensor,
}

/// What the terms are computed against.
pub struct LossInputs<'a> {
    /// `[B, T, n_out]`.
    pub targets: &'a Tensor,
    /// `[B, T, n_out]`.
    pub mask: &'a Tensor,
    /// Consecutive trials that repeat one trial (for `moments`).
    pub repeats: usize,
    /// The denoising loss, where the rollout was a diffusion training pass.
    pub diffusion: Option<&'a Tensor>,
    /// Recorded rates, where the loss has an `activity` term; `None` records no unit.
    pub activity: Option<ActivityTargets<'a>>,
}

/// Inputs for losses without repeats or denoising.
pub fn plain<'a>(targets: &'a Tensor, mask: &'a Tensor) -> LossInputs<'a> {
    LossInputs {
        targets,
        mask,
        repeats: 1,
        diffusion: None,
        activity: None,
    }
}

/// Evaluates every term on one rollout.
pub fn evaluate(loss: &Loss, net: &Ctrnn, rollout: &Rollout, with: &LossInputs) -> Result<Vec<TermValue>> {
    evaluate_with(loss, net, rollout, with, &|rates| rates.sqr()?.mean_all())
}

/// Evaluates every term, with `rate_l2`'s value from `rate_l2` (the hand-differentiated step
/// computes it, and its gradient, outside candle's graph).
pub fn evaluate_with(
    loss: &Loss,
    net: &Ctrnn,
    rollout: &Rollout,
    with: &LossInputs,
    rate_l2: &dyn Fn(&Tensor) -> Result<Tensor>,
) -> Result<Vec<TermValue>> {
    let labels = loss.labels();
    let mut out = Vec::with_capacity(loss.terms.len());
    for (term, label) in loss.terms.iter().zip(labels) {
        let value = match term.kind {
            LossTerm::Mse => masked_mse(&rollout.outputs, with.targets, with.mask)?,
            LossTerm::RateL2 => rate_l2(&rollout.rates)?,
            LossTerm::WeightL2 => weight_l2(&term.def, net)?,
            LossTerm::Diffusion => match with.diffusion {
                Some(v) => v.clone(),
                None => candle_core::bail!("the diffusion term needs a diffusion training pass"),
            },
            LossTerm::Moments => {
                let covariance = term
                    .def
                    .params
                    .get("covariance")
                    .and_then(|v| v.as_f64())
                    .unwrap_or(1.0);
                moments(&rollout.outputs, with.targets, with.mask, with.repeats, covariance)?
            }
            LossTerm::Activity => match with.activity {
                Some(a) => activity(&rollout.rates, a)?,
                None => Tensor::zeros((), rollout.rates.dtype(), rollout.rates.device())?,
            },
        };
        out.push(TermValue {
            label,
            weight: term.weight,
            value,
        });
    }
    Ok(out)
}

/// The weighted sum of the terms.
pub fn total(terms: &[TermValue]) -> Result<Tensor> {
    let mut sum: Option<Tensor> = None;
    for t in terms {
        let weighted = (&t.value * t.weight)?;
        sum = Some(match sum {
            None => weighted,
            Some(s) => (s + weighted)?,
        });
    }
    match sum {
        Some(s) => Ok(s),
        None => candle_core::bail!("the loss has no terms"),
    }
}

/// Mean squared error over the entries where the mask is 1.
pub fn masked_mse(outputs: &Tensor, targets: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let err = (outputs - targets)?.sqr()?.mul(mask)?.sum_all()?;
    let count = mask.sum_all()?.maximum(1.0)?;
    err.div(&count)
}

/// Mean squared error between the assigned student units' rates and the recorded rates, over the
/// counted steps and the recorded units.
pub fn activity(rates: &Tensor, a: ActivityTargets) -> Result<Tensor> {
    let student = rates.index_select(a.units, 2)?;
    let k = a.units.dims1()?;
    let err = (student - a.rates)?.sqr()?.broadcast_mul(a.mask)?.sum_all()?;
    let count = (a.mask.sum_all()? * k as f64)?.maximum(1.0)?;
    err.div(&count)
}

fn weight_l2(term: &Definition, net: &Ctrnn) -> Result<Tensor> {
    let include: Vec<String> = match term.params.get("include") {
        Some(crate::value::Value::List(items)) => items.iter().map(|v| v.to_string()).collect(),
        _ => vec!["rec".into()],
    };
    let mut sum = Tensor::zeros((), candle_core::DType::F32, &net.device)?;
    for group in include {
        let w = match group.as_str() {
            "rec" => net.effective_w_rec()?,
            "in" => net.w_in.as_tensor().clone(),
            "out" => net.w_out.as_tensor().clone(),
            other => candle_core::bail!("unknown weight group `{other}`"),
        };
        sum = (sum + w.sqr()?.sum_all()?)?;
    }
    Ok(sum)
}

/// Moment matching: the responses are the outputs at the last step the mask counts; over each
/// group of `repeats` consecutive trials, the squared error between the network's and the
/// targets' mean plus `covariance` times the squared Frobenius error between their covariances,
/// averaged over groups.
pub fn moments(outputs: &Tensor, targets: &Tensor, mask: &Tensor, repeats: usize, covariance: f64) -> Result<Tensor> {
    let (batch, steps, k) = outputs.dims3()?;
    if repeats < 2 || batch % repeats != 0 {
        candle_core::bail!("moments need groups of at least two repeated trials; batch {batch}, repeats {repeats}")
    }
    let counted: Vec<f32> = mask
        .narrow(0, 0, 1)?
        .flatten_all()?
        .to_dtype(candle_core::DType::F32)?
        .to_vec1()?;
    let Some(last) = (0..steps)
        .rev()
        .find(|&s| counted[s * k..(s + 1) * k].iter().any(|&m| m > 0.0))
    else {
        candle_core::bail!("moments need a task whose targets count on some step")
    };
    let groups = batch / repeats;
    let response = |t: &Tensor| -> Result<Tensor> { t.narrow(1, last, 1)?.reshape((groups, repeats, k)) };
    let (y, z) = (response(outputs)?, response(&targets.to_dtype(outputs.dtype())?)?);
    let stats = |v: &Tensor| -> Result<(Tensor, Tensor)> {
        let mean = v.mean_keepdim(1)?;
        let centred = v.broadcast_sub(&mean)?;
        let cov = (centred.transpose(1, 2)?.contiguous()?.matmul(&centred.contiguous()?)? / (repeats - 1) as f64)?;
        Ok((mean, cov))
    };
    let ((my, cy), (mz, cz)) = (stats(&y)?, stats(&z)?);
    let mean_err = (my - mz)?.sqr()?.sum_all()?;
    let cov_err = (cy - cz)?.sqr()?.sum_all()?;
    (mean_err + (cov_err * covariance)?)? / groups as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Two groups of two repeats, one output step, 2-D responses.
    fn tensor(values: &[f32]) -> Tensor {
        Tensor::from_slice(values, (4, 1, 2), &Device::Cpu).unwrap()
    }

    #[test]
    fn activity_compares_assigned_units_on_counted_steps() {
        let cpu = &Device::Cpu;
        // Two trials, two steps, three student units.
        let rates = Tensor::from_slice(
            &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            (2, 2, 3),
            cpu,
        )
        .unwrap();
        // Recorded units follow student units 2 and 0.
        let units = Tensor::new(&[2u32, 0], cpu).unwrap();
        let recorded = Tensor::from_slice(&[3.0f32, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 3.0], (2, 2, 2), cpu).unwrap();
        let all = Tensor::ones((2, 2, 1), candle_core::DType::F32, cpu).unwrap();
        let value = |mask: &Tensor| {
            activity(
                &rates,
                ActivityTargets {
                    units: &units,
                    rates: &recorded,
                    mask,
                },
            )
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
        };
        // Errors: step (0,0) 0,0; (0,1) 6-0, 4-0 -> 36+16; (1,0) 0,0; (1,1) 0, 1-3 -> 4.
        assert!((value(&all) - 56.0 / 8.0).abs() < 1e-5, "{}", value(&all));
        // Counting only the first step of each trial leaves no error.
        let first = Tensor::from_slice(&[1.0f32, 0.0, 1.0, 0.0], (2, 2, 1), cpu).unwrap();
        assert!(value(&first).abs() < 1e-6);
    }

    #[test]
    fn moments_measure_mean_and_covariance_errors() {
        let mask = Tensor::ones((4, 1, 2), candle_core::DType::F32, &Device::Cpu).unwrap();
        let targets = tensor(&[1.0, 0.0, -1.0, 0.0, 0.0, 2.0, 0.0, 2.0]);
        let same = moments(&targets, &targets, &mask, 2, 1.0).unwrap();
        assert!(same.to_scalar::<f32>().unwrap().abs() < 1e-6);
        // Group 1: target mean (0, 0), covariance diag(2, 0); outputs (1, 0) twice: mean error 1,
        // covariance error 2^2 = 4. Group 2: identical. Average over groups: 5 / 2 = 2.5.
        let outputs = tensor(&[1.0, 0.0, 1.0, 0.0, 0.0, 2.0, 0.0, 2.0]);
        let value = moments(&outputs, &targets, &mask, 2, 1.0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((value - 2.5).abs() < 1e-5, "{value}");
        let mean_only = moments(&outputs, &targets, &mask, 2, 0.0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((mean_only - 0.5).abs() < 1e-5, "{mean_only}");
        assert!(
            moments(&outputs, &targets, &mask, 3, 1.0).is_err(),
            "4 trials are not groups of 3"
        );
    }
}
