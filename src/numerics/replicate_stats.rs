//! Statistics across replicates (networks that differ only in seed): summaries with a seeded
//! bootstrap interval, and paired tests of two families with the same seeds (Wilcoxon
//! signed-rank and a sign-flip permutation test), defined as scipy.stats defines them.

use crate::rng::Rng;

/// n, mean, sample s.d. (n - 1), standard error and median of one group of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Described {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub se: f64,
    pub median: f64,
}

/// Describes `values`; s.d. and s.e. are NaN below two values, everything is NaN for none.
pub fn describe(values: &[f64]) -> Described {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    Described {
        n,
        mean: if n == 0 { f64::NAN } else { mean },
        sd,
        se: sd / (n as f64).sqrt(),
        median: median(values),
    }
}

/// The median (the mean of the middle two for an even count); NaN for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The percentile bootstrap interval of the mean at `level` (e.g. 0.95) from `resamples`
/// resamples drawn with `rng`; NaN below two values.
pub fn bootstrap_mean_ci(values: &[f64], level: f64, resamples: usize, rng: &mut Rng) -> (f64, f64) {
    let n = values.len();
    if n < 2 || resamples == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| values[rng.below(n as u64) as usize]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    (quantile_sorted(&means, tail), quantile_sorted(&means, 1.0 - tail))
}

/// The `q` quantile of sorted values, interpolating linearly between order statistics (numpy's
/// default).
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

/// The two-sided Wilcoxon signed-rank test of paired differences, as `scipy.stats.wilcoxon`:
/// zero differences dropped (`zero_method="wilcox"`), ranks of ties averaged; for at most 50
/// differences without ties the exact null distribution (scipy's default there), otherwise the
/// normal approximation with the tie correction and no continuity correction (scipy's
/// `method="approx"`; scipy's own default for small samples with ties is a permutation method). Returns (statistic = min(W+, W-), p); p is NaN
/// when no difference is non-zero.
pub fn wilcoxon(differences: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = differences.iter().copied().filter(|x| *x != 0.0).collect();
    let n = d.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let ranks = average_ranks(&d.iter().map(|x| x.abs()).collect::<Vec<_>>());
    let w_plus: f64 = d.iter().zip(&ranks).filter(|(x, _)| **x > 0.0).map(|(_, r)| r).sum();
    let total = (n * (n + 1)) as f64 / 2.0;
    let statistic = w_plus.min(total - w_plus);
    let ties = ranks.iter().any(|r| r.fract() != 0.0) || has_repeats(&ranks);
    let p = if n <= 50 && !ties {
        // P(W <= statistic) under the null, from the count of rank subsets with each sum.
        let max = n * (n + 1) / 2;
        let mut counts = vec![0f64; max + 1];
        counts[0] = 1.0;
        for rank in 1..=n {
            for s in (rank..=max).rev() {
                counts[s] += counts[s - rank];
            }
        }
        let all = 2f64.powi(n as i32);
        let at_most: f64 = counts[..=statistic as usize].iter().sum();
        (2.0 * at_most / all).min(1.0)
    } else {
        let mean = total / 2.0;
        let tie_term: f64 = tie_sizes(&ranks).iter().map(|&t| t * t * t - t).sum::<f64>() / 48.0;
        let variance = (n * (n + 1) * (2 * n + 1)) as f64 / 24.0 - tie_term;
        let z = (statistic - mean) / variance.sqrt();
        (2.0 * normal_sf(z.abs())).min(1.0)
    };
    (statistic, p)
}

/// The two-sided sign-flip permutation test of the mean of paired differences, as
/// `scipy.stats.permutation_test((d,), np.mean, permutation_type="samples")` with one sample:
/// every assignment of signs when there are at most 2^16 of them, else `resamples` random ones
/// drawn with `rng` (then p counts the observed assignment, as scipy's does). NaN for none.
pub fn sign_flip_p(differences: &[f64], resamples: usize, rng: &mut Rng) -> f64 {
    let n = differences.len();
    if n == 0 {
        return f64::NAN;
    }
    let mean = |signs: u64| {
        differences
            .iter()
            .enumerate()
            .map(|(i, x)| if signs >> i & 1 == 1 { -x } else { *x })
            .sum::<f64>()
            / n as f64
    };
    let observed = differences.iter().sum::<f64>() / n as f64;
    // Ties within floating-point error of the observed value count as at least as extreme.
    let slack = (observed * 1e-14).abs();
    let (mut ge, mut le) = (0usize, 0usize);
    let mut count = |m: f64| {
        ge += usize::from(m >= observed - slack);
        le += usize::from(m <= observed + slack);
    };
    let (total, extra) = if n <= 16 {
        for signs in 0..1u64 << n {
            count(mean(signs));
        }
        (1usize << n, 0)
    } else {
        for _ in 0..resamples {
            let signs = (0..n).fold(0u64, |acc, i| acc | (rng.below(2) << i));
            count(mean(signs));
        }
        (resamples, 1)
    };
    let p = |k: usize| (k + extra) as f64 / (total + extra) as f64;
    (2.0 * p(ge).min(p(le))).min(1.0)
}

/// Ranks 1..n of `values`, ties given the mean of the ranks they span.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

fn has_repeats(ranks: &[f64]) -> bool {
    tie_sizes(ranks).iter().any(|&t| t > 1.0)
}

/// The size of each group of equal ranks.
fn tie_sizes(ranks: &[f64]) -> Vec<f64> {
    let mut sorted = ranks.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut sizes = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let j = sorted[i..].iter().take_while(|r| **r == sorted[i]).count();
        sizes.push(j as f64);
        i += j;
    }
    sizes
}

/// The standard normal's upper tail, P(Z > z).
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function, to about 1e-14 relative error: below 2 as 1 - erf from
/// erf's series of positive terms, 2/sqrt(pi) exp(-x^2) sum 2^k x^(2k+1) / (1 3 5 ... (2k+1));
/// from 2 on by its continued fraction, exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    let root_pi = std::f64::consts::PI.sqrt();
    if x < 2.0 {
        let (mut term, mut sum, mut k) = (x, x, 0.0);
        while term > sum * 1e-17 {
            k += 1.0;
            term *= 2.0 * x * x / (2.0 * k + 1.0);
            sum += term;
        }
        return 1.0 - 2.0 / root_pi * (-x * x).exp() * sum;
    }
    let mut tail = x;
    for k in (1..=200).rev() {
        tail = x + (k as f64 / 2.0) / tail;
    }
    (-x * x).exp() / root_pi / tail
}

#[cfg(test)]
mod tests {
    //! Reference values from scipy 1.17.1 and numpy, computed with the calls named beside them.
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    const A: [f64; 7] = [0.82, 0.91, 0.77, 0.88, 0.95, 0.69, 0.84];
    const D: [f64; 8] = [0.12, -0.05, 0.3, 0.22, 0.08, -0.11, 0.4, 0.15];
    const D_TIES: [f64; 10] = [1.0, 2.0, -2.0, 3.0, 0.0, 4.0, -1.0, 5.0, 2.0, 3.0];

    #[test]
    fn describe_matches_numpy_and_scipy() {
        let d = describe(&A);
        assert_eq!(d.n, 7);
        assert!(close(d.mean, 0.837_142_857_142_857_1, 1e-14), "{d:?}"); // a.mean()
        assert!(close(d.sd, 0.087_885_206_512_868_4, 1e-12), "{d:?}"); // a.std(ddof=1)
        assert!(close(d.se, 0.033_217_485_764_943_41, 1e-12), "{d:?}"); // scipy.stats.sem(a)
        assert!(close(d.median, 0.84, 1e-15), "{d:?}"); // np.median(a)
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), 2.5);
        assert!(describe(&[1.0]).sd.is_nan() && describe(&[]).mean.is_nan());
    }

    #[test]
    fn the_bootstrap_interval_is_scipys_percentile_interval_and_is_seeded() {
        // scipy.stats.bootstrap((a,), np.mean, method="percentile", n_resamples=200000, random_state=0)
        let (low, high) = bootstrap_mean_ci(&A, 0.95, 200_000, &mut Rng::derive(1, "boot"));
        assert!(
            (low - 0.774_285_714).abs() < 0.002 && (high - 0.894_285_714).abs() < 0.002,
            "{low} {high}"
        );
        let again = bootstrap_mean_ci(&A, 0.95, 2000, &mut Rng::derive(1, "b"));
        assert_eq!(again, bootstrap_mean_ci(&A, 0.95, 2000, &mut Rng::derive(1, "b")));
    }

    #[test]
    fn wilcoxon_matches_scipy_exact_and_approximate() {
        // scipy.stats.wilcoxon(d): statistic 4, p 0.0546875 (exact)
        assert_eq!(wilcoxon(&D), (4.0, 0.054_687_5));
        // scipy.stats.wilcoxon(d_ties, method="approx"): statistic 5.5, p 0.04290120601140134
        let (w, p) = wilcoxon(&D_TIES);
        assert_eq!(w, 5.5);
        assert!(close(p, 0.042_901_206_011_401_34, 1e-10), "{p}");
        // 25 differences without ties, scipy.stats.wilcoxon(d3): statistic 127, p 0.3525196313858032
        let d3 = [
            2.341, -2.256, 0.718, -0.268, -0.153, 0.084, -1.72, 0.068, -0.565, 3.623, 0.526, -0.053, 0.019, -0.368,
            -0.755, -0.091, 0.782, 0.061, 1.258, 0.1, 0.324, 1.846, 0.845, -0.205, 0.117,
        ];
        let (w, p) = wilcoxon(&d3);
        assert_eq!(w, 127.0);
        assert!(close(p, 0.352_519_631_385_803_2, 1e-12), "{p}");
        assert!(wilcoxon(&[0.0, 0.0]).1.is_nan());
    }

    #[test]
    fn the_sign_flip_test_matches_scipys_exact_permutation_test() {
        // scipy.stats.permutation_test((d,), np.mean, permutation_type="samples", n_resamples=np.inf)
        let mut rng = Rng::derive(1, "perm");
        assert!(close(sign_flip_p(&D, 0, &mut rng), 0.0625, 1e-12));
        assert!(close(sign_flip_p(&D_TIES, 0, &mut rng), 0.058_593_75, 1e-12));
        // Past 2^16 assignments: random ones, seeded, near the exact value for a large effect.
        let many: Vec<f64> = (0..20).map(|i| 1.0 + (i as f64) * 0.1).collect();
        let p = sign_flip_p(&many, 5000, &mut Rng::derive(2, "perm"));
        assert!(p > 0.0 && p < 0.002, "{p}");
    }

    #[test]
    fn erfc_matches_scipy() {
        // scipy.special.erfc
        for (x, want) in [
            (0.1, 0.887_537_083_981_715_2),
            (0.7, 0.322_198_806_162_581_7),
            (1.5, 0.033_894_853_524_689_27),
            (1.99, 0.004_888_586_800_383_002),
            (2.0, 0.004_677_734_981_047_266),
            (3.3, 3.057_709_796_438_165e-6),
            (6.0, 2.151_973_671_249_891_3e-17),
        ] {
            assert!(close(erfc(x), want, 1e-12), "erfc({x}) = {} not {want}", erfc(x));
            assert!(close(erfc(-x), 2.0 - want, 1e-12));
        }
    }
}
