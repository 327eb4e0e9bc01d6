//! One Euler step of a trained rate network as a map F(x) on states, with its Jacobian and the
//! fixed-point objective q(x) = 0.5 ||F(x) - x||^2, in f64.
//!
//! F(x) = (1 - a) x + a (phi(x) W_rec + drive), row-vector convention (W_rec[i][j]: unit i to j),
//! with drive = u W_in + b for a constant input u.

use super::activation::Activation;

pub struct RnnMap {
    pub n: usize,
    pub a: f64,
    /// Row-major N x N.
    pub w_rec: Vec<f64>,
    /// u W_in + b for the constant input, length N.
    pub drive: Vec<f64>,
    pub activation: Activation,
}

impl RnnMap {
    pub fn step(&self, x: &[f64]) -> Vec<f64> {
        let r: Vec<f64> = x.iter().map(|&v| self.activation.apply(v)).collect();
        let mut out: Vec<f64> = (0..self.n)
            .map(|j| (1.0 - self.a) * x[j] + self.a * self.drive[j])
            .collect();
        for (i, &ri) in r.iter().enumerate() {
            if ri != 0.0 {
                let row = &self.w_rec[i * self.n..(i + 1) * self.n];
                for (o, &w) in out.iter_mut().zip(row) {
                    *o += self.a * ri * w;
                }
            }
        }
        out
    }

    /// J[i][j] = dF_j / dx_i (row-major): (1 - a) I + a diag(phi'(x)) W_rec. Its eigenvalues are
    /// those of the map's linearisation (a matrix and its transpose share them).
    pub fn jacobian(&self, x: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut j = vec![0.0; n * n];
        for i in 0..n {
            let slope = self.a * self.activation.derivative(x[i]);
            for k in 0..n {
                j[i * n + k] = slope * self.w_rec[i * n + k];
            }
            j[i * n + i] += 1.0 - self.a;
        }
        j
    }

    pub fn q(&self, x: &[f64]) -> f64 {
        self.step(x).iter().zip(x).map(|(f, v)| 0.5 * (f - v) * (f - v)).sum()
    }

    /// dq/dx = (J - I) (F(x) - x), with J as `jacobian` lays it out.
    pub fn grad_q(&self, x: &[f64]) -> Vec<f64> {
        let n = self.n;
        let residual: Vec<f64> = self.step(x).iter().zip(x).map(|(f, v)| f - v).collect();
        let jac = self.jacobian(x);
        (0..n)
            .map(|i| {
                let row = &jac[i * n..(i + 1) * n];
                row.iter().zip(&residual).map(|(j, r)| j * r).sum::<f64>() - residual[i]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grad_q_matches_finite_differences() {
        let map = RnnMap {
            n: 3,
            a: 0.2,
            w_rec: vec![0.5, -1.2, 0.3, 0.9, 0.1, -0.7, -0.4, 1.1, 0.2],
            drive: vec![0.1, -0.2, 0.3],
            activation: Activation::Tanh,
        };
        let x = [0.3, -0.8, 0.5];
        let g = map.grad_q(&x);
        for k in 0..3 {
            let h = 1e-6;
            let (mut up, mut down) = (x, x);
            up[k] += h;
            down[k] -= h;
            let numeric = (map.q(&up) - map.q(&down)) / (2.0 * h);
            assert!((numeric - g[k]).abs() < 1e-8, "{k}: {numeric} vs {}", g[k]);
        }
    }
}
