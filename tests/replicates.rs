//! Replicates end to end: `replicates = N` is a sweep of `seed` (same instances, names and keys),
//! `summary` reduces a family over its seeds, and `paired` compares two families seed by seed.
//! The statistics themselves are checked against scipy in `analysis::replicate_stats`.

mod common;

use common::{Project, column, column_text, ok, ran, stderr, stdout};

const PIPELINE: &str = r#"
pipeline r { seed = 1 }
task wm = working_memory { items = 2 }
data low = swap_mixture(wm) { trials = 300  kappa = 5  replicates = 6 }
data high = swap_mixture(wm) { trials = 300  kappa = 20  replicates = 6 }
analysis low_curve = swap_curve(low) { bins = 4 }
analysis high_curve = swap_curve(high) { bins = 4 }
analysis low_stats = summary(low_curve[*]) { columns = ["kappa", "p_swap"] }
analysis compared = paired(low_curve[*], high_curve[*]) { column = "kappa" }
"#;

#[test]
fn replicates_are_a_sweep_of_seed_with_the_same_keys() {
    let p = Project::new();
    p.write("r.rnx", PIPELINE);
    let first = p.rnx(&["run", "r.rnx"]);
    ok(&first);
    let names = ran(&first);
    for k in 1..=6 {
        assert!(names.contains(&format!("low[seed={k}]")), "{names:?}");
    }
    p.write(
        "s.rnx",
        &PIPELINE.replace("replicates = 6", "seed = sweep(1, 2, 3, 4, 5, 6)"),
    );
    let again = p.rnx(&["run", "s.rnx"]);
    ok(&again);
    assert!(
        ran(&again).is_empty(),
        "the sweep of seed is the same work: {:?}",
        ran(&again)
    );
    // Each replicate differs: six distinct fitted kappas.
    let mut kappas: Vec<String> = (1..=6)
        .map(|k| {
            let shown = stdout(&p.rnx(&["show", "r.rnx", &format!("low_curve[seed={k}]"), "--table", "summary"]));
            column_text(&shown, "kappa")[0].clone()
        })
        .collect();
    kappas.sort();
    kappas.dedup();
    assert_eq!(kappas.len(), 6, "{kappas:?}");
}

#[test]
fn summary_and_paired_reduce_families_over_their_seeds() {
    let p = Project::new();
    p.write("r.rnx", PIPELINE);
    ok(&p.rnx(&["run", "r.rnx"]));
    let member = |stage: &str, k: usize| -> f64 {
        let shown = stdout(&p.rnx(&["show", "r.rnx", &format!("{stage}[seed={k}]"), "--table", "summary"]));
        column(&shown, "kappa")[0]
    };
    let low: Vec<f64> = (1..=6).map(|k| member("low_curve", k)).collect();
    let high: Vec<f64> = (1..=6).map(|k| member("high_curve", k)).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;

    let stats = stdout(&p.rnx(&["show", "r.rnx", "low_stats"]));
    assert_eq!(column_text(&stats, "column"), ["kappa", "p_swap"]);
    assert_eq!(column(&stats, "n"), [6.0, 6.0]);
    let m = column(&stats, "mean")[0];
    assert!((m - mean(&low)).abs() < 1e-9, "{m} vs {low:?}");
    let sd = (low.iter().map(|x| (x - mean(&low)).powi(2)).sum::<f64>() / 5.0).sqrt();
    assert!((column(&stats, "sd")[0] - sd).abs() < 1e-9);
    let (lo, hi) = (column(&stats, "ci_low")[0], column(&stats, "ci_high")[0]);
    assert!(lo < m && m < hi, "the interval holds the mean: {lo} {m} {hi}");

    let compared = stdout(&p.rnx(&["show", "r.rnx", "compared"]));
    assert_eq!(column(&compared, "n"), [6.0]);
    let diff = column(&compared, "difference")[0];
    assert!((diff - (mean(&high) - mean(&low))).abs() < 1e-9, "{diff}");
    // kappa 20 fits above kappa 5 in every pair: both tests give their smallest p for 6 pairs, 2/64.
    assert!(high.iter().zip(&low).all(|(h, l)| h > l));
    assert_eq!(column(&compared, "wilcoxon_p"), [0.03125]);
    assert_eq!(column(&compared, "permutation_p"), [0.03125]);
}

#[test]
fn a_family_without_the_replicate_coordinate_is_a_clear_error() {
    let p = Project::new();
    p.write(
        "r.rnx",
        &PIPELINE
            .replace("  replicates = 6", "")
            .replace("columns = [\"kappa\", \"p_swap\"]", "columns = [\"kappa\"]"),
    );
    let out = p.rnx(&["run", "r.rnx"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("low_stats") && err.contains("does not vary `seed`") && err.contains("replicates = N"),
        "{err}"
    );
}
