//! One optimisation step: forward, loss terms, backpropagation through time, gradient clipping,
//! Adam/AdamW. The `train` stage and `rnx bench train` both use it.

use super::ctrnn::{Ctrnn, Noise};
use super::{direct_step, loss, nn_err};
use crate::op_error::OpError;
use crate::rng::Rng;
use candle_core::Tensor;
use candle_core::backprop::GradStore;
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

/// A network with its optimiser and loss.
pub struct Trainer {
    pub net: Ctrnn,
    loss: loss::Loss,
    optimizer: AdamW,
    /// Consecutive trials of a batch that repeat one trial (for `moments`).
    repeats: usize,
}

/// One batch on the device, `[B, T, C]` each.
#[derive(Clone, Copy)]
pub struct Batch<'a> {
    pub inputs: &'a Tensor,
    pub targets: &'a Tensor,
    pub mask: &'a Tensor,
    /// Recorded rates for an `activity` term.
    pub activity: Option<loss::ActivityTargets<'a>>,
}

/// What one step measured.
pub struct StepStats {
    pub loss: f64,
    /// Each term's unweighted value, in the loss's order.
    pub terms: Vec<f64>,
    /// The global gradient norm before clipping.
    pub grad_norm: f64,
}

impl Trainer {
    pub fn new(
        net: Ctrnn,
        loss: loss::Loss,
        learning_rate: f64,
        weight_decay: f64,
        repeats: usize,
    ) -> Result<Trainer, OpError> {
        loss.check_supported(repeats)?;
        if loss.is_diffusion() != net.behaviour.is_some() {
            return Err(OpError::internal(
                "a diffusion loss needs a network set up for diffusion",
            ));
        }
        let params = ParamsAdamW {
            lr: learning_rate,
            weight_decay,
            ..Default::default()
        };
        let optimizer = AdamW::new(net.trainable(), params).map_err(nn_err)?;
        Ok(Trainer {
            net,
            loss,
            optimizer,
            repeats,
        })
    }

    /// One step on a batch. `clip` of 0 disables clipping. A loss or
    /// gradient that is not finite is an error naming `step`, and the weights are left untouched.
    pub fn step(
        &mut self,
        batch: Batch,
        rng: &mut Rng,
        clip: f64,
        learning_rate: f64,
        step: usize,
    ) -> Result<StepStats, OpError> {
        let (terms, total, mut grads) = if direct_step::applies(&self.net) {
            let with = loss::LossInputs {
                targets: batch.targets,
                mask: batch.mask,
                repeats: self.repeats,
                diffusion: None,
                activity: batch.activity,
            };
            direct_step::loss_and_gradients(&self.net, &self.loss, &with, batch.inputs, rng)
        } else {
            self.autograd(batch, rng)
        }
        .map_err(nn_err)?;
        let total_value = scalar(&total)?;
        let term_values: Vec<f64> = terms.iter().map(|t| scalar(&t.value)).collect::<Result<_, _>>()?;
        if !total_value.is_finite() {
            let labels = self.loss.labels();
            let detail: Vec<String> = labels
                .iter()
                .zip(&term_values)
                .map(|(l, v)| format!("{l} = {v}"))
                .collect();
            return Err(OpError::invalid(format!(
                "the loss became {total_value} at step {step} ({}); lower `lr`, set `clip`, or check the task's inputs",
                detail.join(", ")
            )));
        }
        let grad_norm = self.global_norm(&grads)?;
        if !grad_norm.is_finite() {
            return Err(OpError::invalid(format!(
                "the gradient became {grad_norm} at step {step}; lower `lr` or set `clip`"
            )));
        }
        if clip > 0.0 && grad_norm > clip {
            self.scale(&mut grads, clip / grad_norm)?;
        }
        self.optimizer.set_learning_rate(learning_rate);
        self.optimizer.step(&grads).map_err(nn_err)?;
        Ok(StepStats {
            loss: total_value,
            terms: term_values,
            grad_norm,
        })
    }

    /// The terms, their total and the gradients through candle's autograd: diffusion training,
    /// CUDA, f64 and the comparison in tests.
    fn autograd(&self, batch: Batch, rng: &mut Rng) -> candle_core::Result<(Vec<loss::TermValue>, Tensor, GradStore)> {
        let (rollout, denoising) = match &self.net.config.diffusion {
            Some(d) => {
                let last = d.response_start + d.response_steps - 1;
                let responses = batch.targets.narrow(1, last, 1)?.squeeze(1)?;
                let (rollout, value) = self.net.diffusion_rollout(batch.inputs, &responses, rng)?;
                (rollout, Some(value))
            }
            None => (self.net.forward(batch.inputs, Noise::default(), rng)?, None),
        };
        let with = loss::LossInputs {
            targets: batch.targets,
            mask: batch.mask,
            repeats: self.repeats,
            diffusion: denoising.as_ref(),
            activity: batch.activity,
        };
        let terms = loss::evaluate(&self.loss, &self.net, &rollout, &with)?;
        let total = loss::total(&terms)?;
        let grads = total.backward()?;
        Ok((terms, total, grads))
    }

    /// The norm of all trainable variables' gradients together.
    fn global_norm(&self, grads: &GradStore) -> Result<f64, OpError> {
        let mut sum = 0.0;
        for var in self.net.trainable() {
            if let Some(g) = grads.get(var.as_tensor()) {
                sum += scalar(&g.sqr().and_then(|s| s.sum_all()).map_err(nn_err)?)?;
            }
        }
        Ok(sum.sqrt())
    }

    fn scale(&self, grads: &mut GradStore, factor: f64) -> Result<(), OpError> {
        for var in self.net.trainable() {
            if let Some(g) = grads.get(var.as_tensor()) {
                let scaled = (g * factor).map_err(nn_err)?;
                grads.insert(var.as_tensor(), scaled);
            }
        }
        Ok(())
    }
}

/// A scalar tensor's value as f64.
pub fn scalar(t: &Tensor) -> Result<f64, OpError> {
    t.to_dtype(candle_core::DType::F64)
        .and_then(|t| t.to_scalar::<f64>())
        .map_err(nn_err)
}
