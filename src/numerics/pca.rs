//! Principal components of trajectories: variance explained, participation ratio, projections.

/// A fitted PCA.
#[derive(Debug, Clone)]
pub struct Pca {
    pub mean: Vec<f64>,
    /// k x n_cols, unit length; each component's largest-magnitude entry is positive.
    pub components: Vec<Vec<f64>>,
    /// Variance along every component, decreasing.
    pub explained_variance: Vec<f64>,
    pub explained_ratio: Vec<f64>,
    /// (sum lambda)^2 / sum lambda^2: the effective dimensionality.
    pub participation_ratio: f64,
}

/// PCA of `n_rows` observations of `n_cols` variables (row-major), keeping `k` components.
pub fn pca(data: &[f64], n_rows: usize, n_cols: usize, k: usize) -> Result<Pca, String> {
    if n_rows < 2 || n_cols == 0 || data.len() != n_rows * n_cols {
        return Err(format!(
            "PCA needs at least two rows of {n_cols} values; got {} values",
            data.len()
        ));
    }
    if data.iter().any(|v| !v.is_finite()) {
        return Err("PCA input contains NaN or infinite values".into());
    }
    let mut mean = vec![0.0; n_cols];
    for row in data.chunks(n_cols) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / n_rows as f64;
        }
    }
    let mut cov = nalgebra::DMatrix::<f64>::zeros(n_cols, n_cols);
    for row in data.chunks(n_cols) {
        let centred: Vec<f64> = row.iter().zip(&mean).map(|(v, m)| v - m).collect();
        for i in 0..n_cols {
            for j in i..n_cols {
                cov[(i, j)] += centred[i] * centred[j];
            }
        }
    }
    for i in 0..n_cols {
        for j in i..n_cols {
            let v = cov[(i, j)] / (n_rows - 1) as f64;
            cov[(i, j)] = v;
            cov[(j, i)] = v;
        }
    }
    let eig = nalgebra::SymmetricEigen::new(cov);
    let mut order: Vec<usize> = (0..n_cols).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]).then(a.cmp(&b)));
    let explained_variance: Vec<f64> = order.iter().map(|&i| eig.eigenvalues[i].max(0.0)).collect();
    let total: f64 = explained_variance.iter().sum();
    let explained_ratio = explained_variance
        .iter()
        .map(|v| if total > 0.0 { v / total } else { 0.0 })
        .collect();
    let squares: f64 = explained_variance.iter().map(|v| v * v).sum();
    let participation_ratio = if squares > 0.0 { total * total / squares } else { 0.0 };
    let components = order
        .iter()
        .take(k.min(n_cols))
        .map(|&i| {
            let mut c: Vec<f64> = eig.eigenvectors.column(i).iter().copied().collect();
            let largest = c
                .iter()
                .cloned()
                .fold(0.0f64, |acc, v| if v.abs() > acc.abs() { v } else { acc });
            if largest < 0.0 {
                c.iter_mut().for_each(|v| *v = -*v);
            }
            c
        })
        .collect();
    Ok(Pca {
        mean,
        components,
        explained_variance,
        explained_ratio,
        participation_ratio,
    })
}

impl Pca {
    pub fn project(&self, row: &[f64]) -> Vec<f64> {
        self.components
            .iter()
            .map(|c| c.iter().zip(row).zip(&self.mean).map(|((w, v), m)| w * (v - m)).sum())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn a_plane_in_five_dimensions_has_two_components() {
        let mut rng = Rng::derive(1, "pca");
        let (u, v) = ([1.0, 2.0, 0.0, -1.0, 0.5], [0.0, 1.0, 1.0, 1.0, -2.0]);
        let mut data = Vec::new();
        for _ in 0..500 {
            let (s, t) = (rng.normal() * 3.0, rng.normal());
            for d in 0..5 {
                data.push(s * u[d] + t * v[d] + 1e-4 * rng.normal() + 7.0);
            }
        }
        let p = pca(&data, 500, 5, 2).unwrap();
        assert!(
            p.explained_ratio[0] + p.explained_ratio[1] > 0.9999,
            "{:?}",
            p.explained_ratio
        );
        // Both components lie in span(u, v): their part orthogonal to the plane is negligible.
        let proj = |c: &[f64]| {
            let n = nalgebra::DMatrix::from_row_slice(2, 5, &[u, v].concat());
            let cv = nalgebra::DVector::from_row_slice(c);
            let coef = (&n * n.transpose()).lu().solve(&(&n * &cv)).unwrap();
            (cv - n.transpose() * coef).norm()
        };
        assert!(proj(&p.components[0]) < 1e-3 && proj(&p.components[1]) < 1e-3);
        assert!((p.mean[0] - 7.0).abs() < 0.5);
    }

    #[test]
    fn participation_ratio_counts_dimensions() {
        let mut rng = Rng::derive(2, "pr");
        let iso: Vec<f64> = (0..4000 * 4).map(|_| rng.normal()).collect();
        let p = pca(&iso, 4000, 4, 4).unwrap();
        assert!((p.participation_ratio - 4.0).abs() < 0.1, "{}", p.participation_ratio);
        let line: Vec<f64> = (0..100).flat_map(|i| [i as f64, 2.0 * i as f64, -(i as f64)]).collect();
        let q = pca(&line, 100, 3, 1).unwrap();
        assert!((q.participation_ratio - 1.0).abs() < 1e-9);
        assert!(pca(&[1.0, f64::NAN], 1, 2, 1).is_err());
    }
}
