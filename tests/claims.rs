//! Claims end to end: `claim` stages are cached like any stage, `rnx claims` prints each as
//! holds, fails or not computed with its numbers (`--json`, `--strict`), and `rnx run` ends with them.

mod common;

use common::{Project, ok, ran, stderr, stdout};

const PIPELINE: &str = r#"
pipeline c { seed = 1 }
task wm = working_memory { items = 2 }
data low = swap_mixture(wm) { trials = 300  kappa = 5  replicates = 6 }
data high = swap_mixture(wm) { trials = 300  kappa = 20  replicates = 6 }
analysis low_curve = swap_curve(low) { bins = 4 }
analysis high_curve = swap_curve(high) { bins = 4 }
claim sharper = greater(low_curve[*], high_curve[*]) { column = "kappa" }
claim swaps_seen = at_least(low_curve[*]) { column = "p_swap"  above = 0.1 }
claim kappa_recovered = near(high_curve[*]) { column = "kappa"  reference = 20  tolerance = 0.1  relative = true  k = 5 }
claim mostly_swaps = at_least(low_curve[*]) { column = "p_swap"  above = 0.5 }
"#;

#[test]
fn claims_hold_or_fail_with_their_numbers_and_the_run_ends_with_them() {
    let p = Project::new();
    p.write("c.rnx", PIPELINE);
    let run = p.rnx(&["run", "c.rnx"]);
    ok(&run);
    let err = stderr(&run);
    assert!(
        err.contains("claims:") && err.contains("holds         sharper"),
        "{err}"
    );

    let shown = stdout(&p.rnx(&["claims", "c.rnx"]));
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name) || l.split_whitespace().nth(2) == Some(name))
            .unwrap_or_else(|| panic!("no {name} in {shown}"))
            .to_string()
    };
    assert!(
        line("sharper").starts_with("holds") && line("sharper").contains("6 of 6"),
        "{shown}"
    );
    assert!(line("sharper").contains("p 0.03125"), "{shown}");
    assert!(line("swaps_seen").starts_with("holds"), "{shown}");
    assert!(line("kappa_recovered").starts_with("holds"), "{shown}");
    assert!(
        line("mostly_swaps").starts_with("fails") && line("mostly_swaps").contains("0 of 6"),
        "{shown}"
    );

    let strict = p.rnx(&["claims", "c.rnx", "--strict"]);
    assert_eq!(strict.status.code(), Some(1), "a failing claim fails --strict");
    let json: serde_json::Value = serde_json::from_str(&stdout(&p.rnx(&["claims", "c.rnx", "--json"]))).unwrap();
    let sharper = json
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["claim"] == "sharper")
        .unwrap();
    assert_eq!(sharper["state"], "holds");
    assert_eq!(sharper["n"], 6);
    assert!(sharper["p"].as_f64().unwrap() < 0.05);

    // Claims are cached stages: a rerun computes nothing; changing an input leaves them not computed.
    assert!(ran(&p.rnx(&["run", "c.rnx"])).is_empty());
    let changed = stdout(&p.rnx(&["claims", "c.rnx", "--set", "high.kappa=6"]));
    assert!(
        changed
            .lines()
            .any(|l| l.starts_with("not computed") && l.contains("sharper")),
        "{changed}"
    );
    assert!(
        changed
            .lines()
            .any(|l| l.starts_with("holds") && l.contains("swaps_seen")),
        "{changed}"
    );
}

#[test]
fn a_claim_over_a_family_with_several_groups_asks_for_one() {
    let p = Project::new();
    p.write(
        "c.rnx",
        &PIPELINE
            .replace("kappa = 5  replicates = 6", "kappa = sweep(5, 10)  replicates = 3")
            .lines()
            .filter(|l| !l.contains("greater") && !l.contains("near("))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let out = p.rnx(&["run", "c.rnx"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("swaps_seen") && err.contains("2 groups") && err.contains("a claim is about one"),
        "{err}"
    );
}
