//! The shipped pipelines: each checks, and its quick profile runs end to end.

mod common;

use common::{Project, ok, ran, stdout};

#[test]
fn swap_errors_quick_profile_runs_end_to_end() {
    let p = Project::new();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/swap_errors.rnx");
    let file = file.to_string_lossy().to_string();
    ok(&p.rnx(&["check", &file]));
    let run = p.rnx(&["run", &file, "--profile", "quick"]);
    ok(&run);
    assert_eq!(
        ran(&run),
        ["observed", "task_optimal", "task_optimal_eval", "task_trials"]
    );
    let metrics = stdout(&p.rnx(&[
        "show",
        &file,
        "task_optimal_eval",
        "--table",
        "metrics",
        "--profile",
        "quick",
    ]));
    assert!(metrics.contains("r2") && metrics.contains("mse"), "{metrics}");
    let again = p.rnx(&["run", &file, "--profile", "quick"]);
    ok(&again);
    assert!(ran(&again).is_empty());
}
