//! The whole recurrence of a CTRNN as one candle operation on the CPU, with a hand-written
//! backward pass (backpropagation through time).
//!
//! Inputs: the drive `D = a (u W_in + b) + noise` `[B, T, N]`, the effective recurrent matrix
//! `W` `[N, N]` and the initial state `x0` `[B, N]`. Output: the rates `r[t] = phi(x[t])`
//! `[B, T, N]`, where `x[t] = (1 - a) x[t-1] + a r[t-1] W + D[t]` and `x[-1] = x0`.
//! The backward pass needs only the rates: every activation's derivative is a function of its
//! rate (`fast_math::derivative_from_rate`). The kernels are in `bptt.rs`.

use super::bptt::Recurrence;
use super::fast_math;
use crate::numerics::activation::Activation;
use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Storage, Tensor};

pub struct FusedRecurrence {
    pub alpha: f32,
    pub activation: Activation,
}

fn contiguous<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> Result<&'a [f32]> {
    let data = s.as_slice::<f32>()?;
    match l.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("fused recurrence: `{what}` must be contiguous"),
    }
}

impl FusedRecurrence {
    fn recurrence<'a>(&self, w: &'a [f32], steps: usize, units: usize) -> Recurrence<'a> {
        Recurrence {
            alpha: self.alpha,
            activation: self.activation,
            w,
            steps,
            units,
        }
    }
}

impl CustomOp3 for FusedRecurrence {
    fn name(&self) -> &'static str {
        "ctrnn-recurrence"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (batch, steps, n) = l1.shape().dims3()?;
        if l2.shape().dims2()? != (n, n) || l3.shape().dims2()? != (batch, n) {
            candle_core::bail!("fused recurrence: shapes do not agree");
        }
        let (drive, w, x0) = (
            contiguous(s1, l1, "drive")?,
            contiguous(s2, l2, "w")?,
            contiguous(s3, l3, "x0")?,
        );
        let rates = self.recurrence(w, steps, n).rates(drive, x0);
        Ok((CpuStorage::F32(rates), Shape::from((batch, steps, n))))
    }

    fn bwd(
        &self,
        _drive: &Tensor,
        w: &Tensor,
        x0: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (batch, steps, n) = res.dims3()?;
        let device = res.device().clone();
        // Rates and their gradient are read in place from candle's CPU storage: no copies.
        let grad = grad.contiguous()?;
        let (rates_storage, rates_layout) = res.storage_and_layout();
        let (grad_storage, grad_layout) = grad.storage_and_layout();
        let (rates, g_rates) = match (&*rates_storage, &*grad_storage) {
            (Storage::Cpu(r), Storage::Cpu(g)) => (
                contiguous(r, rates_layout, "rates")?,
                contiguous(g, grad_layout, "gradient")?,
            ),
            _ => candle_core::bail!("the fused recurrence runs on the CPU only"),
        };
        let w: Vec<f32> = w.flatten_all()?.to_vec1()?;
        let x_init: Vec<f32> = x0.flatten_all()?.to_vec1()?;
        let mut r_init = vec![0f32; batch * n];
        fast_math::activate(self.activation, &x_init, &mut r_init);

        // The direct gradient on x[t] is the gradient on r[t] through phi'; it is computed in place.
        let mut direct = vec![0f32; batch * steps * n];
        fast_math::derivative_from_rate(self.activation, rates, &mut direct);
        for (d, g) in direct.iter_mut().zip(g_rates) {
            *d *= g;
        }

        // Backward through time; d_drive[t] is the total gradient on x[t].
        let recurrence = self.recurrence(&w, steps, n);
        let (d_drive, d_x0) = recurrence.backward(rates, &r_init, |row, out| {
            out.copy_from_slice(&direct[row * n..(row + 1) * n])
        });
        let d_w = recurrence.weight_gradient(rates, &r_init, &d_drive);

        Ok((
            Some(Tensor::from_vec(d_drive, (batch, steps, n), &device)?),
            Some(Tensor::from_vec(d_w, (n, n), &device)?),
            Some(Tensor::from_vec(d_x0, (batch, n), &device)?),
        ))
    }
}
