//! The whole recurrence of a CTRNN as one candle operation on the CPU, with a hand-written
//! backward pass (backpropagation through time).
//!
//! Inputs: the drive `D = a (u W_in + b) + noise` `[B, T, N]`, the effective recurrent matrix
//! `W` `[N, N]` and the initial state `x0` `[B, N]`. Output: the rates `r[t] = phi(x[t])`
//! `[B, T, N]`, where `x[t] = (1 - a) x[t-1] + a r[t-1] W + D[t]` and `x[-1] = x0`.
//! The backward pass needs only the rates: every activation's derivative is a function of its
//! rate (`fast_math::derivative_from_rate`). One gemm per step forward and one backward, no
//! per-step tensors, and the weight gradient as a single large matmul: this is where the speed
//! over op-by-op autograd comes from.

use super::fast_math;
use crate::analysis::activation::Activation;
use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Storage, Tensor};
use rayon::prelude::*;

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

/// Row-major strides of a matrix operand: (column stride, row stride).
type Strides = (isize, isize);

/// `dst (m x n) = scale * lhs (m x k) * rhs (k x n)`, with explicit strides for lhs and rhs, so
/// that transposes are read in place. `dst` is row-major and overwritten.
#[allow(clippy::too_many_arguments)]
fn matmul(
    dst: &mut [f32],
    lhs: &[f32],
    lhs_strides: Strides,
    rhs: &[f32],
    rhs_strides: Strides,
    m: usize,
    k: usize,
    n: usize,
    scale: f32,
) {
    debug_assert!(dst.len() >= m * n && lhs.len() >= m * k && rhs.len() >= k * n);
    // SAFETY: callers pass slices holding m*k, k*n and m*n elements laid out as the strides say;
    // gemm reads lhs and rhs and writes dst only within those bounds.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            lhs_strides.0,
            lhs_strides.1,
            rhs.as_ptr(),
            rhs_strides.0,
            rhs_strides.1,
            1.0,
            scale,
            false,
            false,
            false,
            parallelism(m * n * k),
        );
    }
}

/// Threads for one matmul: the current rayon pool's, only for matmuls big enough that splitting
/// pays (the per-step ones, B x N x N, measured slower with two threads).
fn parallelism(work: usize) -> gemm::Parallelism {
    let threads = rayon::current_num_threads();
    if threads > 1 && work >= 1 << 26 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    }
}

/// Trials per parallel chunk: the batch split evenly over the current rayon pool's threads. Each
/// chunk runs the whole sequence on its own, so threads never wait on each other per step.
fn chunk_size(batch: usize) -> usize {
    batch.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

impl FusedRecurrence {
    /// The recurrence for a contiguous block of trials (`x0.len() / n` of them).
    fn forward_chunk(&self, drive: &[f32], w: &[f32], x0: &[f32], rates: &mut [f32], steps: usize, n: usize) {
        let batch = x0.len() / n;
        let a = self.alpha;
        let mut x = x0.to_vec();
        let mut r = vec![0f32; batch * n];
        fast_math::activate(self.activation, &x, &mut r);
        let mut rw = vec![0f32; batch * n];
        for t in 0..steps {
            matmul(&mut rw, &r, (1, n as isize), w, (1, n as isize), batch, n, n, 1.0);
            for b in 0..batch {
                let d = &drive[(b * steps + t) * n..(b * steps + t + 1) * n];
                let row = &mut x[b * n..(b + 1) * n];
                for ((xi, &di), &ri) in row.iter_mut().zip(d).zip(&rw[b * n..(b + 1) * n]) {
                    *xi = (1.0 - a) * *xi + a * ri + di;
                }
                fast_math::activate(self.activation, row, &mut r[b * n..(b + 1) * n]);
                rates[(b * steps + t) * n..(b * steps + t + 1) * n].copy_from_slice(&r[b * n..(b + 1) * n]);
            }
        }
    }

    /// Backpropagation through time for a block of trials: fills `d_drive` (the total gradient
    /// on each x[t]) and `d_x0`, given the rates, the direct gradients and the initial rates.
    #[allow(clippy::too_many_arguments)]
    fn backward_chunk(
        &self,
        rates: &[f32],
        direct: &[f32],
        r_init: &[f32],
        w: &[f32],
        d_drive: &mut [f32],
        d_x0: &mut [f32],
        steps: usize,
        n: usize,
    ) {
        let batch = r_init.len() / n;
        let a = self.alpha;
        let mut g = vec![0f32; batch * n];
        let mut gw = vec![0f32; batch * n];
        let mut prev_r = vec![0f32; batch * n];
        let mut prev_slope = vec![0f32; batch * n];
        for b in 0..batch {
            let row = (b * steps + steps - 1) * n;
            g[b * n..(b + 1) * n].copy_from_slice(&direct[row..row + n]);
        }
        for t in (0..steps).rev() {
            for b in 0..batch {
                d_drive[(b * steps + t) * n..(b * steps + t + 1) * n].copy_from_slice(&g[b * n..(b + 1) * n]);
                let pr = if t > 0 {
                    &rates[(b * steps + t - 1) * n..(b * steps + t) * n]
                } else {
                    &r_init[b * n..(b + 1) * n]
                };
                prev_r[b * n..(b + 1) * n].copy_from_slice(pr);
            }
            fast_math::derivative_from_rate(self.activation, &prev_r, &mut prev_slope);
            // g W^T: how x[t-1]'s rate moved x[t]. W^T is read in place through its strides.
            matmul(&mut gw, &g, (1, n as isize), w, (n as isize, 1), batch, n, n, 1.0);
            for b in 0..batch {
                for i in 0..n {
                    let k = b * n + i;
                    let through = (1.0 - a) * g[k] + a * gw[k] * prev_slope[k];
                    if t > 0 {
                        g[k] = through + direct[(b * steps + t - 1) * n + i];
                    } else {
                        d_x0[k] = through;
                    }
                }
            }
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
        let mut rates = vec![0f32; batch * steps * n];
        let chunk = chunk_size(batch);
        rates
            .par_chunks_mut(chunk * steps * n)
            .zip(drive.par_chunks(chunk * steps * n))
            .zip(x0.par_chunks(chunk * n))
            .for_each(|((rates, drive), x0)| self.forward_chunk(drive, w, x0, rates, steps, n));
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
        let a = self.alpha;
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

        // Backward through time, trials split over threads; d_drive[t] is the total gradient on x[t].
        let mut d_drive = vec![0f32; batch * steps * n];
        let mut d_x0 = vec![0f32; batch * n];
        let chunk = chunk_size(batch);
        d_drive
            .par_chunks_mut(chunk * steps * n)
            .zip(d_x0.par_chunks_mut(chunk * n))
            .zip(
                rates
                    .par_chunks(chunk * steps * n)
                    .zip(direct.par_chunks(chunk * steps * n)),
            )
            .zip(r_init.par_chunks(chunk * n))
            .for_each(|(((d_drive, d_x0), (rates, direct)), r_init)| {
                self.backward_chunk(rates, direct, r_init, &w, d_drive, d_x0, steps, n)
            });

        // dW = a * sum over (b, t) of r[t-1]^T d_drive[t]: one (N x BT) by (BT x N) matmul, with
        // r[t-1] taken from `rates` shifted by one step (and r_init at t = 0).
        let rows = batch * steps;
        let mut prev_rates = vec![0f32; rows * n];
        for b in 0..batch {
            prev_rates[b * steps * n..(b * steps + 1) * n].copy_from_slice(&r_init[b * n..(b + 1) * n]);
            prev_rates[(b * steps + 1) * n..(b + 1) * steps * n]
                .copy_from_slice(&rates[b * steps * n..((b + 1) * steps - 1) * n]);
        }
        let mut d_w = vec![0f32; n * n];
        matmul(
            &mut d_w,
            &prev_rates,
            (n as isize, 1),
            &d_drive,
            (1, n as isize),
            n,
            rows,
            n,
            a,
        );

        Ok((
            Some(Tensor::from_vec(d_drive, (batch, steps, n), &device)?),
            Some(Tensor::from_vec(d_w, (n, n), &device)?),
            Some(Tensor::from_vec(d_x0, (batch, n), &device)?),
        ))
    }
}
