//! The loss and gradients of one training step of a plain CTRNN on the CPU, differentiated by
//! hand around the parts candle differentiates cheaply.
//!
//! Candle's autograd sees only the small tensors: the outputs `[B, T, n_out]` (as a leaf), the
//! weights, and the rates only where an `activity` term reads them. The `[B, T, N]` work (the
//! drive, the recurrence, the read-out's and `rate_l2`'s gradients on the rates, BPTT and the
//! weight gradients) runs on plain slices (`bptt.rs`), where each candle graph edge would cost a
//! zero-fill and an add of the whole tensor. The gradients agree with autograd's (tested below).

use super::bptt::{self, Recurrence, plain, transposed};
use super::ctrnn::{Ctrnn, Noise, Rollout};
use super::fast_math;
use super::loss::{self, Loss, LossInputs, TermValue};
use super::loss_term::LossTerm;
use crate::rng::Rng;
use candle_core::backprop::GradStore;
use candle_core::{DType, Result, Storage, Tensor, Var};

/// Whether `net` can take the hand-differentiated step: f32 on the CPU, not a diffusion network.
pub fn applies(net: &Ctrnn) -> bool {
    net.allow_fused && net.device.is_cpu() && net.w_rec.dtype() == DType::F32 && net.behaviour.is_none()
}

/// A tensor's values, row-major.
fn values(t: &Tensor) -> Result<Vec<f32>> {
    t.flatten_all()?.to_vec1()
}

/// Column sums of a row-major `[rows, cols]` matrix, times `scale`: `[1, cols]`.
fn column_sums(m: &[f32], cols: usize, scale: f32) -> Vec<f32> {
    let mut sums = vec![0f32; cols];
    for row in m.chunks(cols) {
        sums.iter_mut().zip(row).for_each(|(s, &v)| *s += v);
    }
    sums.iter_mut().for_each(|s| *s *= scale);
    sums
}

/// Adds `scale * row` to every row of a row-major matrix with `row.len()` columns.
fn add_to_rows(m: &mut [f32], row: &[f32], scale: f32) {
    for r in m.chunks_mut(row.len()) {
        r.iter_mut().zip(row).for_each(|(v, &b)| *v += scale * b);
    }
}

/// Every term's value, the weighted total, and the gradient on each of `net`'s variables, for
/// one batch of `inputs` `[B, T, n_in]`. Noise is drawn from `rng` as `Ctrnn::forward` draws it.
pub fn loss_and_gradients(
    net: &Ctrnn,
    loss: &Loss,
    with: &LossInputs,
    inputs: &Tensor,
    rng: &mut Rng,
) -> Result<(Vec<TermValue>, Tensor, GradStore)> {
    let config = &net.config;
    let (batch, steps, n_in) = inputs.dims3()?;
    let (n, n_out) = (config.units, config.n_out);
    let rows = batch * steps;
    let a = config.alpha() as f32;
    let device = &net.device;

    // Forward: the drive a (u W_in + b) + noise for every step at once, then the recurrence.
    let (u, noise) = net.noisy_inputs(inputs, Noise::default(), rng)?;
    let u = values(&u)?;
    let mut drive = vec![0f32; rows * n];
    let w_in = values(net.w_in.as_tensor())?;
    bptt::matmul(&mut drive, &u, plain(n_in), &w_in, plain(n), rows, n_in, n, a);
    add_to_rows(&mut drive, &values(net.b.as_tensor())?, a);
    if let Some(noise) = noise {
        drive.iter_mut().zip(values(&noise)?).for_each(|(d, z)| *d += z);
    }
    let x0 = values(&net.initial_state(batch)?)?;
    let mut r_init = vec![0f32; batch * n];
    fast_math::activate(config.activation, &x0, &mut r_init);
    let w_eff = values(&net.effective_w_rec()?)?;
    let recurrence = Recurrence {
        alpha: a,
        activation: config.activation,
        w: &w_eff,
        steps,
        units: n,
    };
    let rates = Var::from_vec(recurrence.rates(&drive, &x0), (batch, steps, n), device)?;
    drop(drive);
    let (rates_guard, _) = rates.storage_and_layout();
    let rates_slice = match &*rates_guard {
        Storage::Cpu(s) => s.as_slice::<f32>()?,
        _ => candle_core::bail!("the hand-differentiated step runs on the CPU only"),
    };

    // The read-out y = r W_out + b_out, a leaf for candle's autograd.
    let w_out = values(net.w_out.as_tensor())?;
    let mut y = vec![0f32; rows * n_out];
    bptt::matmul(&mut y, rates_slice, plain(n), &w_out, plain(n_out), rows, n, n_out, 1.0);
    add_to_rows(&mut y, &values(net.b_out.as_tensor())?, 1.0);
    let outputs = Var::from_vec(y, (batch, steps, n_out), device)?;

    // The terms. `rate_l2` is the mean squared rate; its gradient 2 w r / (B T N) is added by hand.
    let rate_l2_weight: f64 = loss.of(LossTerm::RateL2).map(|t| t.weight).sum();
    let mean_square = if loss.has(LossTerm::RateL2) {
        rates_slice.iter().map(|&r| (r as f64) * (r as f64)).sum::<f64>() / (rows * n) as f64
    } else {
        0.0
    };
    let mean_square = Tensor::new(mean_square as f32, device)?;
    let rollout = Rollout {
        rates: rates.as_tensor().clone(),
        outputs: outputs.as_tensor().clone(),
    };
    let terms = loss::evaluate_with(loss, net, &rollout, with, &|_| Ok(mean_square.clone()))?;
    let total = loss::total(&terms)?;
    let mut grads = total.backward()?;
    let d_y = match grads.remove(outputs.as_tensor()) {
        Some(g) => values(&g)?,
        None => vec![0f32; rows * n_out],
    };
    let d_rates = match grads.remove(rates.as_tensor()) {
        Some(g) => Some(values(&g)?),
        None => None,
    };
    let rate_coefficient = (2.0 * rate_l2_weight / (rows * n) as f64) as f32;

    // Backward: the gradient reaching each x[t] directly is phi'(r) (dy W_out^T + c r + d_rates).
    let w_out_t: Vec<f32> = (0..n_out * n).map(|i| w_out[(i % n) * n_out + i / n]).collect();
    let direct = |row: usize, out: &mut [f32]| {
        let r = &rates_slice[row * n..(row + 1) * n];
        out.iter_mut().zip(r).for_each(|(o, &r)| *o = rate_coefficient * r);
        for (k, &d) in d_y[row * n_out..(row + 1) * n_out].iter().enumerate() {
            out.iter_mut()
                .zip(&w_out_t[k * n..(k + 1) * n])
                .for_each(|(o, &w)| *o += d * w);
        }
        if let Some(extra) = &d_rates {
            out.iter_mut()
                .zip(&extra[row * n..(row + 1) * n])
                .for_each(|(o, &e)| *o += e);
        }
        fast_math::scale_by_derivative(config.activation, r, out);
    };
    let (d_drive, d_x0) = recurrence.backward(rates_slice, &r_init, direct);
    let d_w_eff = recurrence.weight_gradient(rates_slice, &r_init, &d_drive);
    let mut d_w_in = vec![0f32; n_in * n];
    bptt::matmul(&mut d_w_in, &u, transposed(n_in), &d_drive, plain(n), n_in, rows, n, a);
    let d_b = column_sums(&d_drive, n, a);
    let mut d_w_out = vec![0f32; n * n_out];
    bptt::matmul(
        &mut d_w_out,
        rates_slice,
        transposed(n),
        &d_y,
        plain(n_out),
        n,
        rows,
        n_out,
        1.0,
    );
    let d_b_out = column_sums(&d_y, n_out, 1.0);
    let d_x0 = column_sums(&d_x0, n, 1.0);
    drop(rates_guard);

    // The mask and Dale's signs between W_rec and the effective matrix, through candle.
    let d_w_eff = Tensor::from_vec(d_w_eff, (n, n), device)?;
    let through_mask = (net.effective_w_rec()? * d_w_eff)?.sum_all()?.backward()?;
    let d_w_rec = match through_mask.get(net.w_rec.as_tensor()) {
        Some(g) => g.clone(),
        None => Tensor::zeros((n, n), DType::F32, device)?,
    };

    let hand = [
        (&net.w_in, Tensor::from_vec(d_w_in, (n_in, n), device)?),
        (&net.w_rec, d_w_rec),
        (&net.b, Tensor::from_vec(d_b, (1, n), device)?),
        (&net.w_out, Tensor::from_vec(d_w_out, (n, n_out), device)?),
        (&net.b_out, Tensor::from_vec(d_b_out, (1, n_out), device)?),
        (&net.x0, Tensor::from_vec(d_x0, (1, n), device)?),
    ];
    for (var, grad) in hand {
        let sum = match grads.remove(var.as_tensor()) {
            Some(from_terms) => (from_terms + grad)?,
            None => grad,
        };
        grads.insert(var.as_tensor(), sum);
    }
    Ok((terms, total, grads))
}

#[cfg(test)]
#[path = "direct_step_tests.rs"]
mod tests;
