//! Fixed points of a rate network (Sussillo & Barak 2013), with defaults after Golub & Sussillo's
//! FixedPointFinder: minimise q(x) = 0.5 ||F(x) - x||^2 with Adam from many initial states, keep
//! the points with q under a tolerance, merge duplicates, and classify each by the eigenvalues of
//! the map's Jacobian (stable when every |lambda| < 1, as for a discrete-time map).

use super::rnn_map::RnnMap;

#[derive(Debug, Clone)]
pub struct FixedPointConfig {
    /// Adam iterations per initial state.
    pub max_iters: usize,
    pub learning_rate: f64,
    /// Stop early once q is below this.
    pub q_stop: f64,
    /// Keep a point only if its q is below this.
    pub q_tolerance: f64,
    /// Points closer than this (Euclidean) are one point; the one with the lower q is kept.
    pub dedup_tolerance: f64,
}

impl Default for FixedPointConfig {
    fn default() -> Self {
        FixedPointConfig {
            max_iters: 5000,
            learning_rate: 0.01,
            q_stop: 1e-14,
            q_tolerance: 1e-10,
            dedup_tolerance: 1e-3,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FixedPoint {
    pub x: Vec<f64>,
    pub q: f64,
    /// (re, im), sorted by decreasing modulus, then by real and imaginary part.
    pub eigenvalues: Vec<(f64, f64)>,
    pub max_modulus: f64,
    pub stable: bool,
}

/// Minimises q from each initial state and returns the distinct fixed points found, in order of
/// their first coordinate (then the next), so that the result does not depend on the inits' order.
pub fn find_fixed_points(map: &RnnMap, inits: &[Vec<f64>], cfg: &FixedPointConfig) -> Vec<FixedPoint> {
    let mut found: Vec<(Vec<f64>, f64)> = Vec::new();
    for init in inits {
        let (x, q) = minimise(map, init, cfg);
        if q < cfg.q_tolerance && x.iter().all(|v| v.is_finite()) {
            found.push((x, q));
        }
    }
    found.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut kept: Vec<(Vec<f64>, f64)> = Vec::new();
    for (x, q) in found {
        if !kept.iter().any(|(k, _)| distance(k, &x) < cfg.dedup_tolerance) {
            kept.push((x, q));
        }
    }
    kept.sort_by(|a, b| {
        a.0.iter()
            .zip(&b.0)
            .map(|(p, q)| p.total_cmp(q))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    kept.into_iter()
        .map(|(x, q)| {
            // Without converged eigenvalues stability is unknown: NaN modulus, not stable.
            let eigenvalues = eigenvalues(&map.jacobian(&x), map.n).unwrap_or_default();
            let max_modulus = eigenvalues.first().map_or(f64::NAN, |(re, im)| re.hypot(*im));
            FixedPoint {
                x,
                q,
                eigenvalues,
                max_modulus,
                stable: max_modulus < 1.0,
            }
        })
        .collect()
}

fn minimise(map: &RnnMap, init: &[f64], cfg: &FixedPointConfig) -> (Vec<f64>, f64) {
    let (b1, b2, eps) = (0.9, 0.999, 1e-8);
    let mut x = init.to_vec();
    let mut m = vec![0.0; x.len()];
    let mut v = vec![0.0; x.len()];
    for it in 1..=cfg.max_iters {
        if map.q(&x) < cfg.q_stop {
            break;
        }
        let g = map.grad_q(&x);
        for k in 0..x.len() {
            m[k] = b1 * m[k] + (1.0 - b1) * g[k];
            v[k] = b2 * v[k] + (1.0 - b2) * g[k] * g[k];
            let m_hat = m[k] / (1.0 - b1.powi(it as i32));
            let v_hat = v[k] / (1.0 - b2.powi(it as i32));
            x[k] -= cfg.learning_rate * m_hat / (v_hat.sqrt() + eps);
        }
    }
    // A few Newton steps on F(x) - x = 0 polish what Adam found (Adam stalls near the minimum).
    for _ in 0..20 {
        match newton_step(map, &x) {
            Some(next) if map.q(&next) < map.q(&x) => x = next,
            _ => break,
        }
    }
    let q = map.q(&x);
    (x, q)
}

/// x - (J^T - I)^-1 (F(x) - x), solving the linear system with nalgebra.
fn newton_step(map: &RnnMap, x: &[f64]) -> Option<Vec<f64>> {
    let n = map.n;
    let jac = map.jacobian(x);
    // dF_j/dx_i is jac[i][j]; the Newton system uses dF/dx with F as a column: its transpose.
    let mut a = nalgebra::DMatrix::<f64>::zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            a[(j, i)] = jac[i * n + j] - if i == j { 1.0 } else { 0.0 };
        }
    }
    let residual: Vec<f64> = map.step(x).iter().zip(x).map(|(f, v)| f - v).collect();
    let b = nalgebra::DVector::from_vec(residual);
    let delta = a.lu().solve(&b)?;
    Some(x.iter().zip(delta.iter()).map(|(v, d)| v - d).collect())
}

/// Eigenvalues of a row-major n x n real matrix, sorted by decreasing modulus; `None` when the
/// QR iteration does not converge.
///
/// A column (or row) whose only nonzero entry is on the diagonal gives that entry as an eigenvalue
/// exactly (expand the characteristic determinant along it), and is removed before the QR
/// iteration. A ReLU network's Jacobian has such a column for every silent unit, and those many
/// equal eigenvalues make nalgebra's Francis iteration cycle; removing them exactly avoids it. A
/// remaining failure is retried once on the matrix with a tiny fixed perturbation (1e-12
/// relative), which moves the eigenvalues by about that much.
pub fn eigenvalues(matrix: &[f64], n: usize) -> Option<Vec<(f64, f64)>> {
    let (mut ev, kept) = deflate(matrix, n);
    let m = nalgebra::DMatrix::from_fn(kept.len(), kept.len(), |i, j| matrix[kept[i] * n + kept[j]]);
    if !kept.is_empty() {
        ev.extend(schur_eigenvalues(&m)?);
    }
    ev.sort_by(|a, b| {
        b.0.hypot(b.1)
            .total_cmp(&a.0.hypot(a.1))
            .then(b.0.total_cmp(&a.0))
            .then(b.1.total_cmp(&a.1))
    });
    Some(ev)
}

/// Splits off the eigenvalues given by columns and rows that are zero off the diagonal (within
/// the indices still kept), repeatedly; returns them and the indices left.
fn deflate(matrix: &[f64], n: usize) -> (Vec<(f64, f64)>, Vec<usize>) {
    let mut kept: Vec<usize> = (0..n).collect();
    let mut found = Vec::new();
    loop {
        let isolated = kept.iter().position(|&j| {
            let column_clear = kept.iter().all(|&i| i == j || matrix[i * n + j] == 0.0);
            let row_clear = kept.iter().all(|&i| i == j || matrix[j * n + i] == 0.0);
            column_clear || row_clear
        });
        match isolated {
            Some(p) => {
                let j = kept.remove(p);
                found.push((matrix[j * n + j], 0.0));
            }
            None => return (found, kept),
        }
    }
}

fn schur_eigenvalues(m: &nalgebra::DMatrix<f64>) -> Option<Vec<(f64, f64)>> {
    const MAX_ITERATIONS: usize = 10_000;
    let n = m.nrows();
    let schur = nalgebra::linalg::Schur::try_new(m.clone(), f64::EPSILON, MAX_ITERATIONS).or_else(|| {
        let scale = 1e-12 * m.amax().max(1.0);
        let nudged = nalgebra::DMatrix::from_fn(n, n, |i, j| {
            m[(i, j)] + scale * (((i * 7 + j * 13) % 17) as f64 - 8.0) / 8.0
        });
        nalgebra::linalg::Schur::try_new(nudged, f64::EPSILON, MAX_ITERATIONS)
    })?;
    Some(schur.complex_eigenvalues().iter().map(|c| (c.re, c.im)).collect())
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod deflation_tests {
    use super::eigenvalues;

    /// A ReLU-like Jacobian: (1 - a) I + a W D with most units silent (D = 0), so most columns
    /// are (1 - a) e_j. Its spectrum is (1 - a) for each silent unit plus that of the active block.
    #[test]
    fn silent_units_give_exact_eigenvalues_and_the_rest_come_from_the_active_block() {
        let n = 60;
        let a = 0.2;
        let mut rng = crate::rng::Rng::derive(5, "relu-jacobian");
        let w: Vec<f64> = (0..n * n).map(|_| rng.normal() * 1.5 / (n as f64).sqrt()).collect();
        let active: Vec<bool> = (0..n).map(|j| j % 5 == 0).collect();
        let jac: Vec<f64> = (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                let diag = if i == j { 1.0 - a } else { 0.0 };
                diag + if active[j] { a * w[k] } else { 0.0 }
            })
            .collect();
        let ev = eigenvalues(&jac, n).expect("converges");
        assert_eq!(ev.len(), n);
        let silent = ev
            .iter()
            .filter(|(re, im)| (re - (1.0 - a)).abs() < 1e-12 && *im == 0.0)
            .count();
        assert!(silent >= 48, "{silent} eigenvalues at 1 - a");
        // The active block's eigenvalues, computed on their own, are all in the spectrum.
        let idx: Vec<usize> = (0..n).filter(|&j| active[j]).collect();
        let block: Vec<f64> = idx
            .iter()
            .flat_map(|&i| idx.iter().map(move |&j| (i, j)))
            .map(|(i, j)| jac[i * n + j])
            .collect();
        for (re, im) in eigenvalues(&block, idx.len()).unwrap() {
            assert!(
                ev.iter().any(|(r, m)| (r - re).abs() < 1e-9 && (m - im).abs() < 1e-9),
                "{re} + {im}i missing"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::activation::Activation;

    #[test]
    fn a_linear_network_has_its_one_analytic_fixed_point() {
        // x* = drive (I - W)^-1 for x = x W + drive; eigenvalues of (1 - a) I + a W.
        let w = vec![0.5, 0.2, -0.3, 0.1];
        let map = RnnMap {
            n: 2,
            a: 0.1,
            w_rec: w.clone(),
            drive: vec![1.0, -2.0],
            activation: Activation::Linear,
        };
        // Solve [x0 x1] (I - W) = drive by hand: (I - W) = [[0.5, -0.2], [0.3, 0.9]].
        let det = 0.5 * 0.9 - (-0.2) * 0.3;
        // x = drive (I - W)^-1, with (I-W)^-1 = 1/det [[0.9, 0.2], [-0.3, 0.5]].
        let expect = [(1.0 * 0.9 + -2.0 * -0.3) / det, (1.0 * 0.2 + -2.0 * 0.5) / det];
        let inits: Vec<Vec<f64>> = (0..8).map(|k| vec![k as f64 - 4.0, 4.0 - k as f64 * 0.5]).collect();
        let points = find_fixed_points(&map, &inits, &FixedPointConfig::default());
        assert_eq!(points.len(), 1, "{points:?}");
        assert!(
            (points[0].x[0] - expect[0]).abs() < 1e-6 && (points[0].x[1] - expect[1]).abs() < 1e-6,
            "{points:?} vs {expect:?}"
        );
        // Eigenvalues of (1-a) I + a W: W's eigenvalues are (0.6 +- sqrt(0.16 - 4 (0.05 + 0.06)) ... )/2.
        let tr: f64 = 0.5 + 0.1;
        let dt: f64 = 0.5 * 0.1 - 0.2 * -0.3;
        let disc = tr * tr - 4.0 * dt;
        let (l1, l2) = if disc >= 0.0 {
            (((tr + disc.sqrt()) / 2.0, 0.0), ((tr - disc.sqrt()) / 2.0, 0.0))
        } else {
            ((tr / 2.0, (-disc).sqrt() / 2.0), (tr / 2.0, -(-disc).sqrt() / 2.0))
        };
        let mut want: Vec<(f64, f64)> = [l1, l2].iter().map(|(re, im)| (0.9 + 0.1 * re, 0.1 * im)).collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut got = points[0].eigenvalues.clone();
        got.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g.0 - w.0).abs() < 1e-9 && (g.1 - w.1).abs() < 1e-9,
                "{got:?} vs {want:?}"
            );
        }
        assert!(points[0].stable);
    }

    #[test]
    fn a_bistable_pair_has_two_stable_points_and_a_saddle() {
        // Two units exciting each other: x = 2 tanh(x) on the diagonal x0 = x1. Its nonzero roots
        // solve x = 2 tanh(x): x* = +-1.915008 (by bisection, checked below); the origin is a saddle.
        let map = RnnMap {
            n: 2,
            a: 0.2,
            w_rec: vec![0.0, 2.0, 2.0, 0.0],
            drive: vec![0.0, 0.0],
            activation: Activation::Tanh,
        };
        let mut inits = Vec::new();
        for i in 0..7 {
            for j in 0..7 {
                inits.push(vec![-3.0 + i as f64, -3.0 + j as f64 + 0.01]);
            }
        }
        let points = find_fixed_points(&map, &inits, &FixedPointConfig::default());
        assert_eq!(points.len(), 3, "{points:?}");
        let stable: Vec<&FixedPoint> = points.iter().filter(|p| p.stable).collect();
        assert_eq!(stable.len(), 2);
        let root = {
            let (mut lo, mut hi) = (1.0f64, 3.0f64);
            for _ in 0..100 {
                let mid = 0.5 * (lo + hi);
                if mid - 2.0 * mid.tanh() < 0.0 {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            lo
        };
        assert!((root - 1.915008).abs() < 1e-5);
        for p in &stable {
            assert!(
                (p.x[0].abs() - root).abs() < 1e-6 && (p.x[0] - p.x[1]).abs() < 1e-6,
                "{p:?}"
            );
        }
        let saddle = points.iter().find(|p| !p.stable).unwrap();
        assert!(saddle.x.iter().all(|v| v.abs() < 1e-6));
        // At the origin J = 0.8 I + 0.2 W: eigenvalues 0.8 +- 0.4 = 1.2 and 0.4.
        assert!((saddle.max_modulus - 1.2).abs() < 1e-9);
    }
}
