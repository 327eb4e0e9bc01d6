//! Similarity of two neural populations' trajectories: SVCCA and Procrustes disparity.
//!
//! Both populations are observed on the same samples (rows: the same condition-times, in the same
//! order); their unit counts may differ. Every column is centred first.
//!
//! SVCCA (Raghu et al. 2017) keeps each population's top-k principal components and measures how
//! well the two reduced subspaces of sample space line up: the canonical correlations are the
//! singular values of Qa^T Qb, where Qa and Qb are orthonormal bases of the reduced data (the
//! cosines of the principal angles between the two subspaces). The PCA is done by the thin SVD of
//! the centred data X = U S V^T, whose first k columns of U are exactly the reduced data X V_k,
//! normalised, so they serve as Q. SVCCA is invariant to any invertible linear map of either
//! population's top-k subspace, so it ignores scale, rotation and mixing of units.
//!
//! The Procrustes disparity is scipy.spatial.procrustes' value: with A and B centred and scaled to
//! unit Frobenius norm, it is min over orthogonal R and scalar s of |A - s B R|_F^2, which is
//! 1 - (sum of the singular values of A^T B)^2. It lies in [0, 1], is symmetric in A and B, is 0
//! exactly when one population is a translated, scaled, rotated (or reflected) copy of the other,
//! and does not depend on the scale of either. (Without the free scale s the minimum would be
//! 2 - 2 sum sigma; scipy's definition is the one kept here.) scipy requires equal shapes; here the
//! narrower population is padded with zero units up to the wider one's width, which changes neither
//! its centring nor its norm and amounts to embedding it in the larger space, so the disparity is
//! the minimum over all isometries of the narrower space into the wider one.

use nalgebra::{DMatrix, SVD};

/// Directions whose singular value is below this fraction of a population's largest carry no
/// variance and are left out of SVCCA (they would otherwise enter as arbitrary directions).
const RANK_TOLERANCE: f64 = 1e-10;
/// Convergence tolerance of nalgebra's SVD (its own default).
const SVD_EPSILON: f64 = 5.0 * f64::EPSILON;
/// Iterations after which the SVD gives up rather than spinning forever.
const SVD_MAX_ITERATIONS: usize = 1_000_000;

/// Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimilarityConfig {
    /// Principal components kept of each population for SVCCA; at least 1. Clamped, for each
    /// population, to its unit count and to rows - 1.
    pub k: usize,
}

impl Default for SimilarityConfig {
    fn default() -> Self {
        SimilarityConfig { k: 10 }
    }
}

/// How alike two populations' trajectories are.
#[derive(Debug, Clone, PartialEq)]
pub struct Similarity {
    /// Mean of `canonical_correlations`: 1 when the two reduced subspaces coincide, near 0 for
    /// unrelated populations.
    pub svcca: f64,
    /// Canonical correlations between the two reduced populations, decreasing, each in [0, 1].
    /// There are min(ka, kb) of them, where ka = min(k, units of a, rows - 1), less any of those
    /// directions that carry no variance (a rank-deficient population), and likewise kb.
    pub canonical_correlations: Vec<f64>,
    /// scipy.spatial.procrustes' disparity, in [0, 1]: 0 for identical shapes.
    pub procrustes: f64,
}

/// Compares population `a` (`a_units` wide) with population `b` (`b_units` wide), both row-major
/// samples x units with the same samples in the same order.
pub fn similarity(
    a: &[f64],
    a_units: usize,
    b: &[f64],
    b_units: usize,
    cfg: &SimilarityConfig,
) -> Result<Similarity, String> {
    if cfg.k == 0 {
        return Err("similarity needs at least one principal component (k >= 1); got k = 0".into());
    }
    let a = centred(a, a_units, "a")?;
    let b = centred(b, b_units, "b")?;
    if a.nrows() != b.nrows() {
        return Err(format!(
            "the two populations must share their samples: a has {} rows, b has {}",
            a.nrows(),
            b.nrows()
        ));
    }
    let qa = reduced_basis(&a, cfg.k, "a")?;
    let qb = reduced_basis(&b, cfg.k, "b")?;
    let canonical_correlations: Vec<f64> = singular_values(qa.transpose() * qb, "canonical correlations")?
        .into_iter()
        .map(|s| s.clamp(0.0, 1.0))
        .collect();
    let svcca = canonical_correlations.iter().sum::<f64>() / canonical_correlations.len() as f64;
    let procrustes = procrustes_disparity(&a, &b)?;
    Ok(Similarity {
        svcca,
        canonical_correlations,
        procrustes,
    })
}

/// The population as a rows x units matrix with every column centred, after checking its shape
/// and values.
fn centred(data: &[f64], units: usize, name: &str) -> Result<DMatrix<f64>, String> {
    if units == 0 {
        return Err(format!("population {name} needs at least one unit; got 0"));
    }
    if !data.len().is_multiple_of(units) {
        return Err(format!(
            "population {name} has {} values, not a whole number of rows of {units} units",
            data.len()
        ));
    }
    let rows = data.len() / units;
    if rows < 2 {
        return Err(format!(
            "population {name} needs at least two rows (samples); got {rows}"
        ));
    }
    if data.iter().any(|v| !v.is_finite()) {
        return Err(format!("population {name} contains NaN or infinite values"));
    }
    let mut x = DMatrix::from_row_slice(rows, units, data);
    for mut column in x.column_iter_mut() {
        // Summing v / rows rather than v keeps the mean finite for values near f64::MAX.
        let mean: f64 = column.iter().map(|v| v / rows as f64).sum();
        column.iter_mut().for_each(|v| *v -= mean);
    }
    let norm = x.norm();
    if !norm.is_finite() || x.iter().any(|v| !v.is_finite()) {
        return Err(format!("population {name} has values too large to compare in f64"));
    }
    if norm == 0.0 {
        return Err(format!("population {name} has zero variance: every unit is constant"));
    }
    Ok(x)
}

/// Orthonormal basis (rows x r) of the centred population's top principal components: the first
/// r left singular vectors, r = min(k, units, rows - 1) less the directions with no variance.
fn reduced_basis(x: &DMatrix<f64>, k: usize, name: &str) -> Result<DMatrix<f64>, String> {
    let svd = SVD::try_new(x.clone(), true, false, SVD_EPSILON, SVD_MAX_ITERATIONS)
        .ok_or_else(|| format!("the SVD of population {name} did not converge"))?;
    let s = &svd.singular_values;
    let largest = s[0];
    let kept = k
        .min(x.ncols())
        .min(x.nrows() - 1)
        .min(s.iter().filter(|&&v| v > RANK_TOLERANCE * largest).count());
    let u = svd
        .u
        .ok_or_else(|| format!("the SVD of population {name} returned no singular vectors"))?;
    Ok(u.columns(0, kept).into_owned())
}

/// Singular values of `m`, decreasing.
fn singular_values(m: DMatrix<f64>, what: &str) -> Result<Vec<f64>, String> {
    let svd = SVD::try_new(m, false, false, SVD_EPSILON, SVD_MAX_ITERATIONS)
        .ok_or_else(|| format!("the SVD for the {what} did not converge"))?;
    Ok(svd.singular_values.iter().copied().collect())
}

/// scipy's Procrustes disparity of two centred, non-zero populations (see the module doc). A^T B
/// of the unpadded matrices is a_units x b_units; zero-padding the narrower one only adds zero rows
/// or columns to it, which leaves its singular values unchanged, so no padding is materialised.
fn procrustes_disparity(a: &DMatrix<f64>, b: &DMatrix<f64>) -> Result<f64, String> {
    let cross = (a / a.norm()).transpose() * (b / b.norm());
    let nuclear: f64 = singular_values(cross, "Procrustes fit")?.iter().sum();
    Ok((1.0 - nuclear * nuclear).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn gaussian(rows: usize, cols: usize, rng: &mut Rng) -> DMatrix<f64> {
        DMatrix::from_fn(rows, cols, |_, _| rng.normal())
    }

    /// Row-major values of `m`.
    fn values(m: &DMatrix<f64>) -> Vec<f64> {
        m.transpose().iter().copied().collect()
    }

    /// `rows` samples of `units` units with distinct variances per latent direction and an offset.
    fn population(rows: usize, units: usize, rng: &mut Rng) -> DMatrix<f64> {
        let scales = DMatrix::from_fn(units, units, |i, j| if i == j { 1.0 + i as f64 } else { 0.0 });
        let mixing = gaussian(units, units, rng);
        (gaussian(rows, units, rng) * scales * mixing).add_scalar(3.0)
    }

    fn compare(a: &DMatrix<f64>, b: &DMatrix<f64>, k: usize) -> Similarity {
        similarity(&values(a), a.ncols(), &values(b), b.ncols(), &SimilarityConfig { k }).unwrap()
    }

    #[test]
    fn identical_populations_are_perfectly_similar() {
        let mut rng = Rng::derive(1, "similarity-identical");
        let a = population(300, 7, &mut rng);
        let s = compare(&a, &a, 4);
        assert_eq!(s.canonical_correlations.len(), 4);
        assert!((s.svcca - 1.0).abs() < 1e-9, "{s:?}");
        assert!(s.canonical_correlations.iter().all(|r| (r - 1.0).abs() < 1e-9), "{s:?}");
        assert!(s.procrustes.abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn an_invertible_linear_map_leaves_svcca_at_one() {
        let mut rng = Rng::derive(2, "similarity-linear");
        let a = population(200, 6, &mut rng);
        // Well conditioned: identity plus a modest Gaussian perturbation.
        let map = DMatrix::identity(6, 6) + gaussian(6, 6, &mut rng) * 0.3;
        let sv = map.clone().svd(false, false).singular_values;
        assert!(sv.max() / sv.min() < 20.0, "condition number {}", sv.max() / sv.min());
        let s = compare(&a, &(&a * &map), 6);
        assert_eq!(s.canonical_correlations.len(), 6);
        assert!((s.svcca - 1.0).abs() < 1e-6, "{s:?}");
        // A non-orthogonal map changes the shape, which Procrustes does see.
        assert!(s.procrustes > 1e-3, "{s:?}");

        // Five units mapped to eight by a full-column-rank 5 x 8 matrix (plus an offset): b has
        // rank 5, so its three empty directions are dropped even though k = 8 asks for them.
        let a = population(200, 5, &mut rng);
        let wide = gaussian(5, 8, &mut rng);
        assert!(wide.rank(1e-6) == 5);
        let b = (&a * &wide).add_scalar(-1.5);
        for k in [5, 8, 50] {
            let s = compare(&a, &b, k);
            assert_eq!(s.canonical_correlations.len(), 5, "k = {k}");
            assert!((s.svcca - 1.0).abs() < 1e-6, "k = {k}: {s:?}");
            let back = compare(&b, &a, k);
            assert!((back.svcca - 1.0).abs() < 1e-6, "k = {k}: {back:?}");
        }
    }

    #[test]
    fn independent_noise_has_svcca_near_zero() {
        let mut rng = Rng::derive(3, "similarity-noise");
        let a = gaussian(2000, 10, &mut rng);
        let b = gaussian(2000, 10, &mut rng);
        let s = compare(&a, &b, 5);
        assert_eq!(s.canonical_correlations.len(), 5);
        assert!(s.svcca < 0.1, "{s:?}");
        assert!(s.procrustes > 0.9, "{s:?}");
    }

    #[test]
    fn a_shared_plane_gives_two_unit_correlations() {
        // Each population: two shared latents and three private ones (all with more variance than
        // the unit noise) mixed into ten units. The top five PCs hold the five latents, so two
        // canonical correlations are ~1 and three ~0.
        let mut rng = Rng::derive(4, "similarity-shared");
        let rows = 2000;
        let shared = gaussian(rows, 2, &mut rng) * 3.0;
        let make = |rng: &mut Rng| {
            let private = gaussian(rows, 3, rng) * 2.0;
            let mut latent = DMatrix::zeros(rows, 5);
            latent.columns_mut(0, 2).copy_from(&shared);
            latent.columns_mut(2, 3).copy_from(&private);
            let mixing = gaussian(10, 5, rng).qr().q().transpose();
            latent * mixing + gaussian(rows, 10, rng) * 0.1
        };
        let a = make(&mut rng);
        let b = make(&mut rng);
        let s = compare(&a, &b, 5);
        let r = &s.canonical_correlations;
        assert!(r[0] > 0.99 && r[1] > 0.99, "{r:?}");
        assert!(r[2..].iter().all(|&v| v < 0.1), "{r:?}");
        assert!((s.svcca - 0.4).abs() < 0.05, "{s:?}");
    }

    #[test]
    fn a_rotated_scaled_translated_copy_has_zero_procrustes_disparity() {
        let mut rng = Rng::derive(5, "similarity-procrustes");
        let a = population(150, 6, &mut rng);
        let rotation = gaussian(6, 6, &mut rng).qr().q();
        let shift = DMatrix::from_fn(150, 6, |_, j| 10.0 - 3.0 * j as f64);
        let b = &a * &rotation * 4.5 + shift;
        let s = compare(&a, &b, 6);
        assert!(s.procrustes < 1e-9, "{s:?}");
        assert!((s.svcca - 1.0).abs() < 1e-9, "{s:?}");
        assert!(compare(&b, &a, 6).procrustes < 1e-9);

        // Embedding four units isometrically in nine (orthonormal rows): zero after padding.
        let a = population(150, 4, &mut rng);
        let embed = gaussian(9, 4, &mut rng).qr().q().transpose();
        let b = (&a * embed * 0.01).add_scalar(2.0);
        assert!(compare(&a, &b, 4).procrustes < 1e-9);
        assert!(compare(&b, &a, 4).procrustes < 1e-9);

        // A shape change is seen: squash one direction.
        let mut squash = DMatrix::identity(4, 4);
        squash[(0, 0)] = 0.2;
        let d = compare(&a, &(&a * squash), 4).procrustes;
        assert!(d > 1e-3 && d < 1.0, "{d}");
    }

    // Reference values from numpy 2.4.6 and scipy 1.17.1, printed by this script (run it with
    // `python3 reference.py` after `pip install numpy scipy`):
    //
    // # SVCCA and Procrustes reference values for src/analysis/similarity.rs (numpy + scipy).
    // import numpy as np
    // from scipy.spatial import procrustes
    //
    // N = 40
    // a = np.array([[(1 + 0.25 * j) * np.sin(0.3 * i * (j + 1) + j) + 0.1 * j * j * np.cos(i) for j in range(6)]
    //               for i in range(N)])
    // b = np.array([[np.cos(0.17 * i * (j + 1)) + 0.5 * np.sin(0.3 * i + (j + 2) % 6) + 0.01 * i * j
    //                for j in range(6)] for i in range(N)])
    // c = np.array([[float((i * (j + 2) + j * j) % 7 - 3) + 0.05 * i * (j % 2) for j in range(4)]
    //               for i in range(N)])
    // # Rank 3 with 6 units: sin(0.3 i + j) spans two directions, cos(i) j^2 a third.
    // d = np.array([[np.sin(0.3 * i + j) + 0.1 * j * j * np.cos(i) for j in range(6)] for i in range(N)])
    //
    //
    // def reduce(x, k):
    //     """Top-k PCA scores of the centred x, less directions with no variance (s < 1e-10 s_max)."""
    //     x = x - x.mean(0)
    //     k = min(k, x.shape[1], x.shape[0] - 1)
    //     _, s, vt = np.linalg.svd(x, full_matrices=False)
    //     k = min(k, int(np.sum(s > 1e-10 * s[0])))
    //     return x @ vt[:k].T, s
    //
    //
    // def svcca(x, y, k):
    //     xr, sx = reduce(x, k)
    //     yr, sy = reduce(y, k)
    //     qx, _ = np.linalg.qr(xr)
    //     qy, _ = np.linalg.qr(yr)
    //     rho = np.clip(np.linalg.svd(qx.T @ qy, compute_uv=False), 0.0, 1.0)
    //     # Independent route: eigenvalues of Caa^-1 Cab Cbb^-1 Cba are the squared correlations.
    //     caa, cbb, cab = xr.T @ xr, yr.T @ yr, xr.T @ yr
    //     m = np.linalg.solve(caa, cab) @ np.linalg.solve(cbb, cab.T)
    //     ev = np.sort(np.linalg.eigvals(m).real)[::-1][: len(rho)]
    //     assert np.allclose(np.sqrt(np.clip(ev, 0, 1)), rho, atol=1e-10, rtol=0), (ev, rho)
    //     return rho, sx, sy
    //
    //
    // def pad(x, width):
    //     return np.hstack([x, np.zeros((x.shape[0], width - x.shape[1]))])
    //
    //
    // for name, x, y, k in [("a,b", a, b, 3), ("a,c", a, c, 5), ("d,b", d, b, 5)]:
    //     rho, sx, sy = svcca(x, y, k)
    //     print(f"{name} k={k}: singular values {sx.round(4)} / {sy.round(4)}")
    //     print(f"  svcca = {rho.mean():.15f}")
    //     print(f"  canonical correlations = [{', '.join(f'{r:.15f}' for r in rho)}]")
    // print(f"procrustes(a, b) = {procrustes(a, b)[2]:.15f}")
    // print(f"procrustes(a, pad(c)) = {procrustes(a, pad(c, 6))[2]:.15f}")
    // print(f"procrustes(d, b) = {procrustes(d, b)[2]:.15f}")
    #[test]
    fn matches_numpy_and_scipy_reference_values() {
        const N: usize = 40;
        let table = |units: usize, f: &dyn Fn(f64, f64) -> f64| -> Vec<f64> {
            (0..N)
                .flat_map(|i| (0..units).map(move |j| (i, j)))
                .map(|(i, j)| f(i as f64, j as f64))
                .collect()
        };
        let a = table(6, &|i, j| {
            (1.0 + 0.25 * j) * (0.3 * i * (j + 1.0) + j).sin() + 0.1 * j * j * i.cos()
        });
        let b = table(6, &|i, j| {
            (0.17 * i * (j + 1.0)).cos() + 0.5 * (0.3 * i + (j + 2.0) % 6.0).sin() + 0.01 * i * j
        });
        let c = table(4, &|i, j| ((i * (j + 2.0) + j * j) % 7.0 - 3.0) + 0.05 * i * (j % 2.0));
        let d = table(6, &|i, j| (0.3 * i + j).sin() + 0.1 * j * j * i.cos());

        let check = |x: &[f64], xu: usize, y: &[f64], yu: usize, k: usize, svcca: f64, rho: &[f64]| {
            let s = similarity(x, xu, y, yu, &SimilarityConfig { k }).unwrap();
            assert!((s.svcca - svcca).abs() < 1e-9, "k = {k}: {} vs {svcca}", s.svcca);
            assert_eq!(s.canonical_correlations.len(), rho.len());
            for (got, want) in s.canonical_correlations.iter().zip(rho) {
                assert!(
                    (got - want).abs() < 1e-9,
                    "k = {k}: {:?} vs {rho:?}",
                    s.canonical_correlations
                );
            }
            s.procrustes
        };
        let ab = check(
            &a,
            6,
            &b,
            6,
            3,
            0.155764364394348,
            &[0.412484409379306, 0.050969273532980, 0.003839410270759],
        );
        assert!((ab - 0.888738198099282).abs() < 1e-9, "{ab}");
        let ac = check(
            &a,
            6,
            &c,
            4,
            5,
            0.387108456647220,
            &[
                0.899552228808462,
                0.439719927662130,
                0.160883273859203,
                0.048278396259084,
            ],
        );
        assert!((ac - 0.938421273542471).abs() < 1e-9, "{ac}");
        // c padded to six units by scipy; here c is the narrower one in either argument order.
        let ca = similarity(&c, 4, &a, 6, &SimilarityConfig { k: 5 }).unwrap();
        assert!((ca.procrustes - 0.938421273542471).abs() < 1e-9, "{ca:?}");
        let db = check(
            &d,
            6,
            &b,
            6,
            5,
            0.745208770917340,
            &[0.916437681043366, 0.776274831477224, 0.542913800231429],
        );
        assert!((db - 0.716625311532123).abs() < 1e-9, "{db}");
    }

    #[test]
    fn k_is_clamped_to_the_samples() {
        // Three samples span at most two centred directions.
        let a = [
            1.0, 2.0, 0.0, 4.0, -1.0, 3.0, 0.5, 0.0, 2.0, -2.0, 1.0, 1.0, 7.0, 0.0, 1.0,
        ];
        let s = similarity(&a, 5, &a, 5, &SimilarityConfig { k: 5 }).unwrap();
        assert_eq!(s.canonical_correlations.len(), 2);
        assert!((s.svcca - 1.0).abs() < 1e-9 && s.procrustes < 1e-9, "{s:?}");
    }

    #[test]
    fn bad_input_is_an_error() {
        let cfg = SimilarityConfig { k: 2 };
        let a = [1.0, 2.0, 3.0, 5.0, 4.0, 0.0];
        let run = |a: &[f64], au: usize, b: &[f64], bu: usize, cfg: &SimilarityConfig| {
            similarity(a, au, b, bu, cfg).unwrap_err()
        };
        assert!(similarity(&a, 2, &[1.0, 0.0, 2.0], 1, &cfg).is_ok());
        assert!(run(&a, 2, &a[..4], 2, &cfg).contains("share their samples"));
        assert!(run(&a, 4, &a, 2, &cfg).contains("whole number of rows"));
        assert!(run(&a, 0, &a, 2, &cfg).contains("at least one unit"));
        assert!(run(&a[..3], 3, &a[..3], 3, &cfg).contains("at least two rows"));
        assert!(run(&[], 2, &[], 2, &cfg).contains("at least two rows"));
        let mut bad = a;
        bad[4] = f64::NAN;
        assert!(run(&a, 2, &bad, 2, &cfg).contains("NaN or infinite"));
        bad[4] = f64::INFINITY;
        assert!(run(&bad, 2, &a, 2, &cfg).contains("NaN or infinite"));
        let constant = [1.0, -2.0, 1.0, -2.0, 1.0, -2.0];
        assert!(run(&a, 2, &constant, 2, &cfg).contains("zero variance"));
        let constant = [1.0, -2.0, 1.0, 1.0, -2.0, 1.0];
        assert!(run(&constant, 3, &a, 3, &cfg).contains("zero variance"));
        let huge = [f64::MAX, -f64::MAX, -f64::MAX, f64::MAX];
        assert!(run(&huge, 2, &huge, 2, &cfg).contains("too large"));
        assert!(run(&a, 2, &a, 2, &SimilarityConfig { k: 0 }).contains("k = 0"));
    }
}
