//! Panichello & Buschman (2021) plane alignment: the angle between the planes that two locations'
//! colour representations occupy in a shared 3-D principal subspace.

use nalgebra::{Matrix3, SymmetricEigen, Vector3};

use crate::numerics::pca::pca;

/// How aligned the two locations' colour planes are.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaneAlignment {
    /// |cos| of the angle between the planes' normals: 1 for parallel planes, 0 for orthogonal ones.
    pub abs_cos: f64,
    /// The fraction of the stacked bin means' variance that the three principal components explain.
    pub variance_explained: f64,
    /// Unit normals of the planes, in the coordinates of the three principal components.
    pub upper_normal: [f64; 3],
    pub lower_normal: [f64; 3],
}

/// Aligns the planes of `upper` and `lower`, each a list of colour-bin mean activity vectors
/// (n_bins x n_units, at least three bins, the same n_units throughout).
pub fn plane_alignment(upper: &[Vec<f64>], lower: &[Vec<f64>]) -> Result<PlaneAlignment, String> {
    let n_units = validate(upper, lower)?;
    let stacked: Vec<f64> = upper.iter().chain(lower).flatten().copied().collect();
    let n_rows = upper.len() + lower.len();
    let fitted = pca(&stacked, n_rows, n_units, 3)?;
    if fitted.components.len() < 3 {
        return Err(format!(
            "plane alignment needs three principal components; got {}",
            fitted.components.len()
        ));
    }
    let project = |rows: &[Vec<f64>]| -> Vec<Vector3<f64>> {
        rows.iter()
            .map(|row| Vector3::from_iterator(fitted.project(row).into_iter().take(3)))
            .collect()
    };
    let upper_normal = plane_normal(&project(upper)).map_err(|e| format!("upper location: {e}"))?;
    let lower_normal = plane_normal(&project(lower)).map_err(|e| format!("lower location: {e}"))?;
    let total: f64 = fitted.explained_variance.iter().sum();
    let top: f64 = fitted.explained_variance.iter().take(3).sum();
    Ok(PlaneAlignment {
        abs_cos: upper_normal.dot(&lower_normal).abs().min(1.0),
        variance_explained: if total > 0.0 { top / total } else { 0.0 },
        upper_normal: [upper_normal.x, upper_normal.y, upper_normal.z],
        lower_normal: [lower_normal.x, lower_normal.y, lower_normal.z],
    })
}

/// Checks both locations' bins and returns their common width.
fn validate(upper: &[Vec<f64>], lower: &[Vec<f64>]) -> Result<usize, String> {
    for (name, rows) in [("upper", upper), ("lower", lower)] {
        if rows.len() < 3 {
            return Err(format!(
                "plane alignment needs at least 3 colour bins per location; {name} has {}",
                rows.len()
            ));
        }
    }
    let n_units = upper[0].len();
    if n_units < 3 {
        return Err(format!("plane alignment needs at least 3 units; got {n_units}"));
    }
    for (name, rows) in [("upper", upper), ("lower", lower)] {
        for (i, row) in rows.iter().enumerate() {
            if row.len() != n_units {
                return Err(format!("{name}[{i}] has {} units; expected {n_units}", row.len()));
            }
            if row.iter().any(|v| !v.is_finite()) {
                return Err(format!("{name}[{i}] contains NaN or infinite values"));
            }
        }
    }
    Ok(n_units)
}

/// The unit normal of the best-fitting plane through `points`: the direction of least scatter about
/// their centroid. Fails when the points do not span a plane.
fn plane_normal(points: &[Vector3<f64>]) -> Result<Vector3<f64>, String> {
    let centroid = points.iter().sum::<Vector3<f64>>() / points.len() as f64;
    let scatter: Matrix3<f64> = points.iter().map(|p| (p - centroid) * (p - centroid).transpose()).sum();
    let eig = SymmetricEigen::new(scatter);
    let mut order = [0, 1, 2];
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let (largest, middle) = (eig.eigenvalues[order[0]], eig.eigenvalues[order[1]]);
    if largest <= 0.0 || middle <= 1e-12 * largest {
        return Err("the colour-bin means are collinear or identical, so they define no plane".into());
    }
    let normal: Vector3<f64> = eig.eigenvectors.column(order[2]).into_owned();
    Ok(normal.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    const N_UNITS: usize = 20;
    const N_BINS: usize = 16;

    /// Bin means on a ring of `radius` in span(a, b), shifted by `offset`, plus Gaussian noise.
    fn ring(a: &[f64], b: &[f64], radius: f64, offset: &[f64], noise: f64, rng: &mut Rng) -> Vec<Vec<f64>> {
        (0..N_BINS)
            .map(|i| {
                let angle = 2.0 * std::f64::consts::PI * i as f64 / N_BINS as f64;
                (0..N_UNITS)
                    .map(|u| radius * (angle.cos() * a[u] + angle.sin() * b[u]) + offset[u] + noise * rng.normal())
                    .collect()
            })
            .collect()
    }

    fn scaled(v: &[f64], s: f64) -> Vec<f64> {
        v.iter().map(|x| x * s).collect()
    }

    fn parallel(noise: f64) -> PlaneAlignment {
        let mut rng = Rng::derive(31, "plane-parallel");
        let e = rng.orthonormal(N_UNITS, 3);
        let upper_offset: Vec<f64> = e[2].iter().zip(&e[0]).map(|(z, x)| 1.5 * z + 0.3 * x).collect();
        let upper = ring(&e[0], &e[1], 1.0, &upper_offset, noise, &mut rng);
        let lower = ring(&e[0], &e[1], 0.8, &scaled(&e[2], -1.5), noise, &mut rng);
        plane_alignment(&upper, &lower).unwrap()
    }

    fn orthogonal(noise: f64) -> PlaneAlignment {
        let mut rng = Rng::derive(32, "plane-orthogonal");
        let e = rng.orthonormal(N_UNITS, 3);
        let upper = ring(&e[0], &e[1], 1.0, &scaled(&e[2], 0.5), noise, &mut rng);
        let lower = ring(&e[1], &e[2], 0.9, &scaled(&e[0], -0.5), noise, &mut rng);
        plane_alignment(&upper, &lower).unwrap()
    }

    #[test]
    fn rings_in_parallel_planes_are_aligned() {
        let result = parallel(0.0);
        assert!(result.abs_cos > 0.99, "{result:?}");
        assert!(result.variance_explained > 0.999, "{result:?}");
    }

    #[test]
    fn rings_in_one_plane_are_aligned() {
        let mut rng = Rng::derive(33, "plane-same");
        let e = rng.orthonormal(N_UNITS, 2);
        let upper = ring(&e[0], &e[1], 1.0, &scaled(&e[0], 0.7), 0.0, &mut rng);
        let lower = ring(&e[0], &e[1], 0.6, &scaled(&e[1], -0.4), 0.0, &mut rng);
        let result = plane_alignment(&upper, &lower).unwrap();
        assert!(result.abs_cos > 0.99, "{result:?}");
    }

    #[test]
    fn rings_in_orthogonal_planes_are_orthogonal() {
        let result = orthogonal(0.0);
        assert!(result.abs_cos < 0.05, "{result:?}");
        assert!(result.variance_explained > 0.999, "{result:?}");
    }

    #[test]
    fn noise_moves_the_answer_little() {
        // Noise of 0.03 per unit on rings of radius ~1 (over 20 seeds the largest shift was 0.036).
        let (clean, noisy) = (parallel(0.0), parallel(0.03));
        assert!((clean.abs_cos - noisy.abs_cos).abs() < 0.05, "{clean:?} vs {noisy:?}");
        let (clean, noisy) = (orthogonal(0.0), orthogonal(0.03));
        assert!((clean.abs_cos - noisy.abs_cos).abs() < 0.05, "{clean:?} vs {noisy:?}");
        assert!(
            noisy.variance_explained < 1.0 && noisy.variance_explained > 0.9,
            "{noisy:?}"
        );
    }

    #[test]
    fn rejects_bad_input() {
        let three = vec![vec![0.0, 1.0, 2.0, 3.0]; 3];
        let two = vec![vec![0.0, 1.0, 2.0, 3.0]; 2];
        assert!(
            plane_alignment(&two, &three)
                .unwrap_err()
                .contains("at least 3 colour bins")
        );
        let mut ragged = three.clone();
        ragged[1] = vec![0.0; 5];
        assert!(
            plane_alignment(&three, &ragged)
                .unwrap_err()
                .contains("lower[1] has 5 units")
        );
        let mut nan = three.clone();
        nan[2][0] = f64::NAN;
        assert!(plane_alignment(&nan, &three).unwrap_err().contains("NaN"));
        assert!(
            plane_alignment(&vec![vec![0.0; 2]; 3], &vec![vec![0.0; 2]; 3])
                .unwrap_err()
                .contains("3 units")
        );
        // Identical bins define no plane.
        assert!(plane_alignment(&three, &three).is_err());
    }
}
