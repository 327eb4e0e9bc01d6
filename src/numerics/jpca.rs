//! jPCA (Churchland et al. 2012): how rotational a population's condition-averaged dynamics are.
//!
//! The condition-averaged trajectories (by default less their cross-condition mean, the
//! condition-independent signal) are reduced to k principal components X. Their finite-difference
//! derivative dX, paired with the midpoint states, is fitted by dX = X M twice: with M
//! unconstrained (ordinary least squares) and with M skew-symmetric (a pure rotation), the latter
//! solved exactly as a linear least-squares problem over M's k(k-1)/2 free entries. The ratio of
//! the two fits' R^2 is near 1 for rotational dynamics and low otherwise. The skew-symmetric M's
//! eigenvalues +-i w give the rotation frequencies w / 2 pi, and its fastest eigenvector spans the
//! top jPC plane.
//!
//! Rows are states: dX = X M means the row vector x moves with velocity x M.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use super::pca::pca;

/// Singular values of the midpoint states below this fraction of the largest mark them degenerate.
const RANK_TOLERANCE: f64 = 1e-10;

/// Settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JpcaConfig {
    /// Principal components kept: even, at least 2, at most the number of units.
    pub k: usize,
    /// Subtract the mean across conditions at each time step before the PCA.
    pub subtract_cross_condition_mean: bool,
}

impl Default for JpcaConfig {
    fn default() -> Self {
        JpcaConfig {
            k: 6,
            subtract_cross_condition_mean: true,
        }
    }
}

/// The two fits and the rotations of the skew-symmetric one.
#[derive(Debug, Clone, PartialEq)]
pub struct Jpca {
    /// R^2 of dX = X M with M skew-symmetric.
    pub r2_skew: f64,
    /// R^2 of dX = X M with M unconstrained.
    pub r2_unconstrained: f64,
    /// r2_skew / r2_unconstrained; NaN where r2_unconstrained <= 0 (or is NaN).
    pub ratio: f64,
    /// One frequency per conjugate eigenvalue pair of `m_skew` (k / 2 of them), in Hz, fastest first.
    pub frequencies_hz: Vec<f64>,
    /// Orthonormal basis (k-vectors in PC space) of the plane of the fastest rotation, oriented so
    /// that the fitted flow turns plane[0] towards plane[1].
    pub plane: [Vec<f64>; 2],
    /// Fraction of the variance of X (all condition-times, k PCs) lying in `plane`.
    pub plane_variance_fraction: f64,
    /// Every condition-time state (condition-major, as the conditions were given) on `plane`:
    /// the rotation plane as Churchland et al. draw it.
    pub plane_projection: Vec<[f64; 2]>,
    /// k x k, row-major.
    pub m_skew: Vec<f64>,
    /// k x k, row-major.
    pub m_unconstrained: Vec<f64>,
}

/// jPCA of `conditions`, each T x `n_units` row-major, sampled every `dt` seconds.
pub fn jpca(conditions: &[Vec<f64>], n_units: usize, dt: f64, cfg: &JpcaConfig) -> Result<Jpca, String> {
    let steps = validate(conditions, n_units, dt, cfg)?;
    let rows = stack(conditions, cfg.subtract_cross_condition_mean);
    let fitted = pca(&rows, conditions.len() * steps, n_units, cfg.k)?;
    let projected: Vec<Vec<f64>> = rows.chunks(n_units).map(|r| fitted.project(r)).collect();
    let states = DMatrix::from_fn(projected.len(), cfg.k, |i, j| projected[i][j]);
    let (mid, deriv) = differences(&states, conditions.len(), steps, dt);

    let m_free = fit_unconstrained(&mid, &deriv)?;
    let m_skew = fit_skew(&mid, &deriv)?;
    let r2_unconstrained = r_squared(&mid, &deriv, &m_free);
    let r2_skew = r_squared(&mid, &deriv, &m_skew);
    let ratio = if r2_unconstrained > 0.0 {
        r2_skew / r2_unconstrained
    } else {
        f64::NAN
    };
    let (frequencies_hz, plane) = rotations(&m_skew);
    let plane_variance_fraction = variance_fraction(&states, &plane);
    let plane_projection = states
        .row_iter()
        .map(|row| {
            let on = |axis: &[f64]| row.iter().zip(axis).map(|(v, a)| v * a).sum::<f64>();
            [on(&plane[0]), on(&plane[1])]
        })
        .collect();
    Ok(Jpca {
        r2_skew,
        r2_unconstrained,
        ratio,
        frequencies_hz,
        plane,
        plane_variance_fraction,
        plane_projection,
        m_skew: row_major(&m_skew),
        m_unconstrained: row_major(&m_free),
    })
}

/// Checks the input and returns the number of time steps per condition.
fn validate(conditions: &[Vec<f64>], n_units: usize, dt: f64, cfg: &JpcaConfig) -> Result<usize, String> {
    let k = cfg.k;
    if n_units == 0 {
        return Err("jPCA needs at least one unit".into());
    }
    if k < 2 || !k.is_multiple_of(2) || k > n_units {
        return Err(format!(
            "jPCA needs an even number of components k with 2 <= k <= {n_units} (the units); got {k}"
        ));
    }
    if !(dt.is_finite() && dt > 0.0) {
        return Err(format!("jPCA needs a positive, finite time step dt; got {dt}"));
    }
    let Some(first) = conditions.first() else {
        return Err("jPCA needs at least one condition; got none".into());
    };
    if !first.len().is_multiple_of(n_units) {
        return Err(format!(
            "condition 0 has {} values, not a whole number of time steps of {n_units} units",
            first.len()
        ));
    }
    let steps = first.len() / n_units;
    if steps < 2 {
        return Err(format!("jPCA needs at least two time steps per condition; got {steps}"));
    }
    if let Some((i, c)) = conditions.iter().enumerate().find(|(_, c)| c.len() != first.len()) {
        return Err(format!(
            "condition {i} has {} values but condition 0 has {} ({steps} steps x {n_units} units); \
             all conditions must be the same size",
            c.len(),
            first.len()
        ));
    }
    if let Some(i) = conditions.iter().position(|c| c.iter().any(|v| !v.is_finite())) {
        return Err(format!("condition {i} contains NaN or infinite values"));
    }
    if cfg.subtract_cross_condition_mean && conditions.len() < 2 {
        return Err("subtracting the cross-condition mean needs at least two conditions; got one".into());
    }
    Ok(steps)
}

/// All conditions' rows one after another, less the mean across conditions where asked.
fn stack(conditions: &[Vec<f64>], subtract_mean: bool) -> Vec<f64> {
    let len = conditions.first().map_or(0, Vec::len);
    let mut shared = vec![0.0; len];
    if subtract_mean {
        let n = conditions.len() as f64;
        for c in conditions {
            shared.iter_mut().zip(c).for_each(|(s, v)| *s += v / n);
        }
    }
    conditions
        .iter()
        .flat_map(|c| c.iter().zip(&shared).map(|(v, s)| v - s))
        .collect()
}

/// Midpoint states (X[t] + X[t+1]) / 2 and derivatives (X[t+1] - X[t]) / dt within each condition.
fn differences(states: &DMatrix<f64>, n_conditions: usize, steps: usize, dt: f64) -> (DMatrix<f64>, DMatrix<f64>) {
    let k = states.ncols();
    let pairs = n_conditions * (steps - 1);
    let row = |i: usize| {
        let (c, t) = (i / (steps - 1), i % (steps - 1));
        c * steps + t
    };
    let mid = DMatrix::from_fn(pairs, k, |i, j| {
        let r = row(i);
        (states[(r, j)] + states[(r + 1, j)]) / 2.0
    });
    let deriv = DMatrix::from_fn(pairs, k, |i, j| {
        let r = row(i);
        (states[(r + 1, j)] - states[(r, j)]) / dt
    });
    (mid, deriv)
}

/// M (k x k) minimising |dX - X M|^2, by the SVD of X; an error when X is rank-deficient, which
/// would also leave the skew-symmetric fit undetermined.
fn fit_unconstrained(x: &DMatrix<f64>, dx: &DMatrix<f64>) -> Result<DMatrix<f64>, String> {
    let svd = x.clone().svd(true, true);
    let largest = svd.singular_values.max();
    let smallest = svd.singular_values.min();
    if !(largest > 0.0 && smallest > RANK_TOLERANCE * largest) {
        return Err(format!(
            "the projected states span fewer than {} dimensions (singular values {smallest:e} to {largest:e}); \
             use fewer components or more varied conditions",
            x.ncols()
        ));
    }
    svd.solve(dx, 0.0)
        .map_err(|e| format!("unconstrained jPCA fit failed: {e}"))
}

/// Index of the free parameter M[i][j] = -M[j][i] (i < j) of a k x k skew-symmetric matrix.
fn parameter_index(k: usize) -> DMatrix<usize> {
    let mut index = DMatrix::zeros(k, k);
    let mut p = 0;
    for i in 0..k {
        for j in i + 1..k {
            index[(i, j)] = p;
            index[(j, i)] = p;
            p += 1;
        }
    }
    index
}

/// The nonzero entries of one design row: the row for entry (r, c) of dX, whose model value is
/// (X M)[r][c] = sum_o X[r][o] M[o][c]. For o < c, M[o][c] is the parameter p(o, c) itself; for
/// o > c, M[o][c] = -p(c, o).
fn skew_design_row(x_row: &[f64], c: usize, index: &DMatrix<usize>) -> Vec<(usize, f64)> {
    x_row
        .iter()
        .enumerate()
        .filter(|&(o, _)| o != c)
        .map(|(o, &v)| (index[(o, c)], if o < c { v } else { -v }))
        .collect()
}

/// Skew-symmetric M minimising |dX - X M|^2: linear least squares over the k(k-1)/2 free entries.
/// The design has one row per entry of dX; its rows are built one at a time and accumulated into
/// the normal equations, so memory stays (k(k-1)/2)^2 for any number of samples. X has full column
/// rank (checked by the unconstrained fit), so |X S| > 0 for every nonzero skew S and the normal
/// matrix is positive definite.
fn fit_skew(x: &DMatrix<f64>, dx: &DMatrix<f64>) -> Result<DMatrix<f64>, String> {
    let k = x.ncols();
    let n_params = k * (k - 1) / 2;
    let index = parameter_index(k);
    let mut normal = DMatrix::<f64>::zeros(n_params, n_params);
    let mut rhs = DVector::<f64>::zeros(n_params);
    for r in 0..x.nrows() {
        let x_row: Vec<f64> = x.row(r).iter().copied().collect();
        for c in 0..k {
            let design = skew_design_row(&x_row, c, &index);
            for &(p, vp) in &design {
                rhs[p] += vp * dx[(r, c)];
                for &(q, vq) in &design {
                    normal[(p, q)] += vp * vq;
                }
            }
        }
    }
    let params = normal
        .cholesky()
        .ok_or("the skew-symmetric jPCA fit is degenerate: the projected states do not determine it")?
        .solve(&rhs);
    Ok(DMatrix::from_fn(k, k, |i, j| match i.cmp(&j) {
        std::cmp::Ordering::Less => params[index[(i, j)]],
        std::cmp::Ordering::Greater => -params[index[(i, j)]],
        std::cmp::Ordering::Equal => 0.0,
    }))
}

/// 1 - SSE / SST, with SST the sum of squares of dX about its column means; NaN when SST is 0.
fn r_squared(x: &DMatrix<f64>, dx: &DMatrix<f64>, m: &DMatrix<f64>) -> f64 {
    let sse = (dx - x * m).norm_squared();
    let sst: f64 = dx
        .column_iter()
        .map(|col| {
            let mean = col.mean();
            col.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
        })
        .sum();
    if sst > 0.0 { 1.0 - sse / sst } else { f64::NAN }
}

/// Rotation frequencies (Hz, fastest first, one per conjugate pair) and the fastest rotation's
/// plane of a skew-symmetric M.
///
/// A real skew-symmetric M is normal with eigenvalues +-i w_j, so M^T M = -M^2 is symmetric with
/// eigenvalues w_j^2, each twice, and the eigenvectors for w_j^2 span the real and imaginary parts
/// of M's eigenvectors for +-i w_j. The symmetric eigenproblem gives both robustly. The plane's
/// first axis u is the top eigenvector of M^T M (largest entry positive); its second is the
/// direction the flow x -> x M moves u, M^T u / w, which is orthogonal to u and of unit length.
fn rotations(m: &DMatrix<f64>) -> (Vec<f64>, [Vec<f64>; 2]) {
    let k = m.nrows();
    let eig = SymmetricEigen::new(m.transpose() * m);
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let squares: Vec<f64> = order.iter().map(|&i| eig.eigenvalues[i].max(0.0)).collect();
    let frequencies = squares
        .chunks_exact(2)
        .map(|pair| ((pair[0] + pair[1]) / 2.0).sqrt() / (2.0 * std::f64::consts::PI))
        .collect();

    let mut first: Vec<f64> = eig.eigenvectors.column(order[0]).iter().copied().collect();
    let largest = first
        .iter()
        .copied()
        .fold(0.0f64, |a, v| if v.abs() > a.abs() { v } else { a });
    if largest < 0.0 {
        first.iter_mut().for_each(|v| *v = -*v);
    }
    let u = DVector::from_column_slice(&first);
    let mut w = m.transpose() * &u;
    w -= &u * u.dot(&w);
    let norm = w.norm();
    let plane = if norm > RANK_TOLERANCE * (1.0 + m.norm()) {
        [first, (w / norm).iter().copied().collect()]
    } else {
        // No rotation at all (M = 0): fall back to the first two PCs.
        let axis = |a: usize| (0..k).map(|i| if i == a { 1.0 } else { 0.0 }).collect();
        [axis(0), axis(1)]
    };
    (frequencies, plane)
}

/// Fraction of the variance of the states (about their column means) lying in the plane.
fn variance_fraction(states: &DMatrix<f64>, plane: &[Vec<f64>; 2]) -> f64 {
    let means: Vec<f64> = states.column_iter().map(|c| c.mean()).collect();
    let (mut inside, mut total) = (0.0, 0.0);
    for row in states.row_iter() {
        let centred: Vec<f64> = row.iter().zip(&means).map(|(v, m)| v - m).collect();
        total += centred.iter().map(|v| v * v).sum::<f64>();
        for axis in plane {
            inside += centred.iter().zip(axis).map(|(v, a)| v * a).sum::<f64>().powi(2);
        }
    }
    if total > 0.0 { inside / total } else { f64::NAN }
}

fn row_major(m: &DMatrix<f64>) -> Vec<f64> {
    m.transpose().as_slice().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::fixed_points::eigenvalues;
    use crate::rng::Rng;
    use std::f64::consts::PI;

    const CONDITIONS: usize = 8;
    const UNITS: usize = 20;
    const STEPS: usize = 100;
    const DT: f64 = 0.01;

    /// Eight conditions of 100 x 20 activity: a 4-D latent `latent(condition, time)` embedded by a
    /// random orthonormal 20 x 4 matrix, plus `shared(time)` along a fifth orthonormal direction
    /// (the same for every condition), plus Gaussian noise of std `noise` on every unit.
    fn synthetic(
        seed: u64,
        noise: f64,
        latent: impl Fn(usize, f64) -> [f64; 4],
        shared: impl Fn(f64) -> f64,
    ) -> Vec<Vec<f64>> {
        let mut rng = Rng::derive(seed, "jpca-test");
        let basis = rng.orthonormal(UNITS, 5);
        (0..CONDITIONS)
            .map(|c| {
                let mut rows = Vec::with_capacity(STEPS * UNITS);
                for step in 0..STEPS {
                    let t = step as f64 * DT;
                    let z = latent(c, t);
                    let weights = [z[0], z[1], z[2], z[3], shared(t)];
                    let mut signal = vec![0.0; UNITS];
                    for (direction, w) in basis.iter().zip(weights) {
                        signal.iter_mut().zip(direction).for_each(|(s, d)| *s += w * d);
                    }
                    rows.extend(signal.into_iter().map(|s| s + noise * rng.normal()));
                }
                rows
            })
            .collect()
    }

    /// Two planes rotating at 2 Hz and 5 Hz (amplitude 1), each condition starting elsewhere.
    fn rotating(c: usize, t: f64) -> [f64; 4] {
        let slow = 2.0 * PI * 2.0 * t + 2.0 * PI * c as f64 / 8.0;
        let fast = 2.0 * PI * 5.0 * t + 2.0 * PI * 3.0 * c as f64 / 8.0;
        [slow.cos(), slow.sin(), fast.cos(), fast.sin()]
    }

    fn config(k: usize, subtract: bool) -> JpcaConfig {
        JpcaConfig {
            k,
            subtract_cross_condition_mean: subtract,
        }
    }

    fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn rotations_are_rotational_at_their_frequencies() {
        let data = synthetic(1, 0.01, rotating, |_| 0.0);
        let fit = jpca(&data, UNITS, DT, &config(4, true)).unwrap();
        assert!(fit.ratio > 0.9 && fit.r2_skew > 0.9, "{fit:?}");
        assert_eq!(fit.frequencies_hz.len(), 2);
        let f = &fit.frequencies_hz;
        assert!(
            (f[0] / 5.0 - 1.0).abs() < 0.05 && (f[1] / 2.0 - 1.0).abs() < 0.05,
            "{f:?}"
        );

        // The frequencies are those of M_skew's eigenvalues +-i w.
        let ev = eigenvalues(&fit.m_skew, 4).unwrap();
        let mut from_eigen: Vec<f64> = ev.iter().filter(|e| e.1 > 0.0).map(|e| e.1 / (2.0 * PI)).collect();
        from_eigen.sort_by(|a, b| b.total_cmp(a));
        assert_eq!(from_eigen.len(), 2);
        for (a, b) in f.iter().zip(&from_eigen) {
            assert!((a - b).abs() < 1e-9 * b, "{f:?} vs {from_eigen:?}");
        }
        assert!(ev.iter().all(|e| e.0.abs() < 1e-9), "{ev:?}");

        // The top plane is orthonormal, invariant under the flow, and holds the 5 Hz plane's half
        // of the variance.
        let [p, q] = &fit.plane;
        assert!((dot(p, p) - 1.0).abs() < 1e-12 && (dot(q, q) - 1.0).abs() < 1e-12 && dot(p, q).abs() < 1e-12);
        let m = DMatrix::from_row_slice(4, 4, &fit.m_skew);
        let omega = 2.0 * PI * f[0];
        let moved = m.transpose() * DVector::from_column_slice(p) / omega;
        assert!((moved - DVector::from_column_slice(q)).norm() < 1e-9);
        assert!(
            (fit.plane_variance_fraction - 0.5).abs() < 0.05,
            "{}",
            fit.plane_variance_fraction
        );
    }

    #[test]
    fn decay_is_not_rotational() {
        // Straight-line decay x(t) = x0 exp(-t / 0.2 s) from random 4-D starting points. The finite
        // difference amplifies noise by 1/dt and the signal falls below 1 % of its start after 5 tau,
        // so the noise here is 0.1 % of the amplitude (1 % would leave r2_unconstrained near 0.25).
        let mut rng = Rng::derive(2, "jpca-starts");
        let starts: Vec<[f64; 4]> = (0..CONDITIONS)
            .map(|_| {
                let v = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
                let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                v.map(|x| x / norm)
            })
            .collect();
        let data = synthetic(2, 0.001, |c, t| starts[c].map(|x| x * (-t / 0.2).exp()), |_| 0.0);
        let fit = jpca(&data, UNITS, DT, &config(4, true)).unwrap();
        assert!(fit.r2_unconstrained > 0.9, "{fit:?}");
        assert!(fit.ratio < 0.2, "{fit:?}");
        // The unconstrained M is close to -I / tau: real negative eigenvalues near -5 / s.
        let ev = eigenvalues(&fit.m_unconstrained, 4).unwrap();
        assert!(ev.iter().all(|e| e.1.abs() < 0.5 && (e.0 + 5.0).abs() < 0.5), "{ev:?}");
    }

    #[test]
    fn both_fits_are_exact_least_squares_optima() {
        // Random states and derivatives: at the optimum, the residual R satisfies X^T R = 0 for the
        // unconstrained fit and X^T R symmetric (zero gradient along every skew direction) for the
        // skew-symmetric one.
        let mut rng = Rng::derive(3, "jpca-ls");
        let (n, k) = (60, 6);
        let x = DMatrix::from_fn(n, k, |_, j| rng.normal() * (1.0 + j as f64));
        let dx = DMatrix::from_fn(n, k, |_, _| rng.normal());
        let free = fit_unconstrained(&x, &dx).unwrap();
        let skew = fit_skew(&x, &dx).unwrap();
        assert!((x.transpose() * (&dx - &x * &free)).amax() < 1e-9);
        let g = x.transpose() * (&dx - &x * &skew);
        assert!((&g - g.transpose()).amax() < 1e-9, "{g}");
        assert!((&skew + skew.transpose()).amax() == 0.0);
        assert!(r_squared(&x, &dx, &skew) <= r_squared(&x, &dx, &free));
    }

    #[test]
    fn a_shared_signal_hides_rotations_unless_subtracted() {
        // A condition-independent transient on top of the rotations of the first test. Subtracted,
        // it leaves both rotations; kept, it takes a principal component, and the four left cannot
        // hold the 2 Hz plane.
        let data = synthetic(4, 0.01, rotating, |t| 3.0 * (-t / 0.2).exp());
        let with = jpca(&data, UNITS, DT, &config(4, true)).unwrap();
        let without = jpca(&data, UNITS, DT, &config(4, false)).unwrap();
        let f = &with.frequencies_hz;
        assert!(
            with.ratio > 0.9 && (f[0] / 5.0 - 1.0).abs() < 0.05 && (f[1] / 2.0 - 1.0).abs() < 0.05,
            "{with:?}"
        );
        assert!(without.r2_unconstrained < 0.8, "{without:?}");
        assert!(
            without.frequencies_hz.iter().all(|f| (f / 2.0 - 1.0).abs() > 0.05),
            "{without:?}"
        );
        // The default six components also work on this 4-D latent (two extra noise dimensions).
        let six = jpca(&data, UNITS, DT, &JpcaConfig::default()).unwrap();
        assert_eq!((six.frequencies_hz.len(), six.m_skew.len()), (3, 36));
        assert!(six.ratio > 0.9, "{six:?}");
    }

    #[test]
    fn bad_input_is_an_error() {
        let ok = vec![vec![0.5; UNITS * 5]; 3];
        let cfg = JpcaConfig::default();
        let err = |conditions: &[Vec<f64>], units: usize, dt: f64, k: usize| {
            jpca(conditions, units, dt, &config(k, true)).unwrap_err()
        };
        assert!(err(&ok, UNITS, DT, 3).contains("even"), "odd k");
        assert!(err(&ok, UNITS, DT, 0).contains("even"), "k = 0");
        assert!(err(&ok, 4, DT, 6).contains("<= 4"), "k above the units");
        assert!(err(&[vec![0.0; UNITS], vec![1.0; UNITS]], UNITS, DT, 6).contains("two time steps"));
        assert!(err(&[vec![0.0; 100], vec![0.0; 80]], UNITS, DT, 6).contains("same size"));
        assert!(err(&[vec![0.0; 30], vec![0.0; 30]], UNITS, DT, 6).contains("whole number"));
        assert!(err(&[], UNITS, DT, 6).contains("condition"));
        assert!(err(&ok, 0, DT, 6).contains("unit"));
        assert!(err(&ok, UNITS, 0.0, 6).contains("dt"));
        assert!(err(&ok, UNITS, f64::NAN, 6).contains("dt"));
        let mut nan = ok.clone();
        nan[1][3] = f64::NAN;
        assert!(err(&nan, UNITS, DT, 6).contains("NaN"));
        assert!(err(&ok[..1], UNITS, DT, 6).contains("two conditions"));
        // Constant activity: no dynamics to fit.
        assert!(jpca(&ok, UNITS, DT, &cfg).is_err());
    }
}
