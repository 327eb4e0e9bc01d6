//! The CTRNN recurrence and its backpropagation through time on plain f32 slices, for the CPU:
//! the kernels behind the fused candle operation (`fused.rs`) and the hand-differentiated
//! training step (`direct_step.rs`).
//!
//! `x[t] = (1 - a) x[t-1] + a r[t-1] W + D[t]`, `r[t] = phi(x[t])`, `x[-1] = x0`, for a batch of
//! trials laid out `[B, T, N]` row-major. One gemm per step forward and one backward, trials split
//! over the rayon pool in fixed blocks, so no thread waits on another per step and every trial's
//! arithmetic is the same whatever the number of threads.

use super::fast_math;
use crate::numerics::activation::Activation;
use rayon::prelude::*;

/// Row-major strides of a matrix operand: (column stride, row stride).
pub type Strides = (isize, isize);

/// Strides of a row-major `rows x cols` matrix read as it is.
pub fn plain(cols: usize) -> Strides {
    (1, cols as isize)
}

/// Strides of a row-major `rows x cols` matrix read as its transpose.
pub fn transposed(cols: usize) -> Strides {
    (cols as isize, 1)
}

/// `dst (m x n) = scale * lhs (m x k) * rhs (k x n)`, with explicit strides for lhs and rhs, so
/// that transposes are read in place. `dst` is row-major and overwritten.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
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
    assert!(dst.len() >= m * n && lhs.len() >= m * k && rhs.len() >= k * n);
    // SAFETY: the slices hold m*k, k*n and m*n elements (checked above) laid out as the strides
    // say; gemm reads lhs and rhs and writes dst only within those bounds.
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

/// Trials per parallel block: the batch split evenly over the current rayon pool's threads.
fn chunk_size(batch: usize) -> usize {
    batch.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// The shape and dynamics shared by the forward and backward passes.
#[derive(Clone, Copy)]
pub struct Recurrence<'a> {
    pub alpha: f32,
    pub activation: Activation,
    /// The effective recurrent matrix, `[N, N]`.
    pub w: &'a [f32],
    pub steps: usize,
    pub units: usize,
}

impl Recurrence<'_> {
    /// The rates `[B, T, N]` under `drive` `[B, T, N]` from `x0` `[B, N]`.
    pub fn rates(&self, drive: &[f32], x0: &[f32]) -> Vec<f32> {
        let (steps, n) = (self.steps, self.units);
        let mut rates = vec![0f32; drive.len()];
        let chunk = chunk_size(x0.len() / n);
        rates
            .par_chunks_mut(chunk * steps * n)
            .zip(drive.par_chunks(chunk * steps * n))
            .zip(x0.par_chunks(chunk * n))
            .for_each(|((rates, drive), x0)| self.forward_block(drive, x0, rates));
        rates
    }

    /// The recurrence for a contiguous block of trials (`x0.len() / n` of them).
    fn forward_block(&self, drive: &[f32], x0: &[f32], rates: &mut [f32]) {
        let (steps, n, a) = (self.steps, self.units, self.alpha);
        let batch = x0.len() / n;
        let mut x = x0.to_vec();
        let mut r = vec![0f32; batch * n];
        fast_math::activate(self.activation, &x, &mut r);
        let mut rw = vec![0f32; batch * n];
        for t in 0..steps {
            matmul(&mut rw, &r, plain(n), self.w, plain(n), batch, n, n, 1.0);
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

    /// Backpropagation through time. `direct(row, out)` writes the gradient that reaches x[t]
    /// other than through x[t+1] for row `b * T + t` of the batch; `r_init` is phi(x0) `[B, N]`.
    /// Returns the total gradient on every x[t] `[B, T, N]` (which is also the gradient on the
    /// drive) and the gradient on x0 `[B, N]`.
    pub fn backward<F>(&self, rates: &[f32], r_init: &[f32], direct: F) -> (Vec<f32>, Vec<f32>)
    where
        F: Fn(usize, &mut [f32]) + Sync,
    {
        let (steps, n) = (self.steps, self.units);
        let mut d_drive = vec![0f32; rates.len()];
        let mut d_x0 = vec![0f32; r_init.len()];
        let chunk = chunk_size(r_init.len() / n);
        d_drive
            .par_chunks_mut(chunk * steps * n)
            .zip(d_x0.par_chunks_mut(chunk * n))
            .zip(rates.par_chunks(chunk * steps * n))
            .zip(r_init.par_chunks(chunk * n))
            .enumerate()
            .for_each(|(i, (((d_drive, d_x0), rates), r_init))| {
                let first_row = i * chunk * steps;
                self.backward_block(rates, r_init, d_drive, d_x0, &|row, out| direct(first_row + row, out))
            });
        (d_drive, d_x0)
    }

    /// Backpropagation through time for a block of trials; `direct` takes rows of the block.
    fn backward_block(
        &self,
        rates: &[f32],
        r_init: &[f32],
        d_drive: &mut [f32],
        d_x0: &mut [f32],
        direct: &dyn Fn(usize, &mut [f32]),
    ) {
        let (steps, n, a) = (self.steps, self.units, self.alpha);
        let batch = r_init.len() / n;
        let mut g = vec![0f32; batch * n];
        let mut gw = vec![0f32; batch * n];
        let mut prev_slope = vec![0f32; batch * n];
        let mut incoming = vec![0f32; n];
        for b in 0..batch {
            direct(b * steps + steps - 1, &mut g[b * n..(b + 1) * n]);
        }
        for t in (0..steps).rev() {
            for b in 0..batch {
                d_drive[(b * steps + t) * n..(b * steps + t + 1) * n].copy_from_slice(&g[b * n..(b + 1) * n]);
                let prev_r = if t > 0 {
                    &rates[(b * steps + t - 1) * n..(b * steps + t) * n]
                } else {
                    &r_init[b * n..(b + 1) * n]
                };
                fast_math::derivative_from_rate(self.activation, prev_r, &mut prev_slope[b * n..(b + 1) * n]);
            }
            // g W^T: how x[t-1]'s rate moved x[t]. W^T is read in place through its strides.
            matmul(&mut gw, &g, plain(n), self.w, transposed(n), batch, n, n, 1.0);
            let through = |g: f32, gw: f32, slope: f32| (1.0 - a) * g + a * gw * slope;
            for b in 0..batch {
                let row = b * n..(b + 1) * n;
                let terms = gw[row.clone()].iter().zip(&prev_slope[row.clone()]);
                if t > 0 {
                    direct(b * steps + t - 1, &mut incoming);
                    for ((g, (&gw, &slope)), &inc) in g[row].iter_mut().zip(terms).zip(&incoming) {
                        *g = through(*g, gw, slope) + inc;
                    }
                } else {
                    for ((d, &g), (&gw, &slope)) in d_x0[row.clone()].iter_mut().zip(&g[row]).zip(terms) {
                        *d = through(g, gw, slope);
                    }
                }
            }
        }
    }

    /// The gradient on W, `a * sum over (b, t) of r[t-1]^T d_drive[t]` `[N, N]`, with r[-1] =
    /// `r_init`. Rows of `rates` shifted by one against `d_drive` pair r[t-1] with d_drive[t]
    /// within each trial, in one (N x BT) by (BT x N) matmul without a copy; only each trial's
    /// first step is paired wrongly (with the previous trial's last rate, or nothing), and a
    /// rank-B matmul corrects those.
    pub fn weight_gradient(&self, rates: &[f32], r_init: &[f32], d_drive: &[f32]) -> Vec<f32> {
        let (steps, n) = (self.steps, self.units);
        let batch = r_init.len() / n;
        let rows = batch * steps;
        let mut d_w = vec![0f32; n * n];
        matmul(
            &mut d_w,
            rates,
            transposed(n),
            &d_drive[n..],
            plain(n),
            n,
            rows - 1,
            n,
            self.alpha,
        );
        let mut first_rate = r_init.to_vec();
        let mut first_grad = vec![0f32; batch * n];
        for b in 0..batch {
            if b > 0 {
                let last = &rates[(b * steps - 1) * n..b * steps * n];
                first_rate[b * n..(b + 1) * n]
                    .iter_mut()
                    .zip(last)
                    .for_each(|(f, &l)| *f -= l);
            }
            first_grad[b * n..(b + 1) * n].copy_from_slice(&d_drive[b * steps * n..(b * steps + 1) * n]);
        }
        let mut correction = vec![0f32; n * n];
        matmul(
            &mut correction,
            &first_rate,
            transposed(n),
            &first_grad,
            plain(n),
            n,
            batch,
            n,
            self.alpha,
        );
        d_w.iter_mut().zip(&correction).for_each(|(w, &c)| *w += c);
        d_w
    }
}
