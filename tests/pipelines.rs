//! The shipped pipelines: each checks, and its quick profile runs end to end with the structural
//! facts its paper predicts.

mod common;

use arrow_array::{Array, Float64Array, StringArray};
use common::{Project, ok, ran, stdout};

fn pipeline(name: &str) -> String {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("pipelines")
        .join(name);
    file.to_string_lossy().to_string()
}

/// A table of a stage, read from the entry whose path `rnx show` prints first.
fn table(p: &Project, file: &str, stage: &str, name: &str) -> arrow_array::RecordBatch {
    let shown = stdout(&p.rnx(&["show", file, stage, "--table", name, "--profile", "quick"]));
    let path = shown
        .split_whitespace()
        .next()
        .expect("rnx show prints the table's path");
    rnx::table::read_parquet(std::path::Path::new(path)).expect("a readable table")
}

fn floats(t: &arrow_array::RecordBatch, column: &str) -> Vec<f64> {
    t.column_by_name(column)
        .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
        .map(|a| a.values().to_vec())
        .unwrap_or_else(|| panic!("no float column `{column}`"))
}

#[test]
fn swap_errors_quick_profile_runs_end_to_end() {
    let p = Project::new();
    let file = pipeline("swap_errors.rnx");
    ok(&p.rnx(&["check", &file]));
    let run = p.rnx(&["run", &file, "--profile", "quick"]);
    ok(&run);
    assert_eq!(ran(&run).len(), 20, "every stage ran: {:?}", ran(&run));

    // One row per method, in the order the pipeline lists them.
    let methods = table(&p, &file, "methods", "comparison");
    let stages = methods.column_by_name("stage").unwrap();
    let stages = stages.as_any().downcast_ref::<StringArray>().unwrap();
    let names: Vec<&str> = (0..stages.len()).map(|i| stages.value(i)).collect();
    assert_eq!(
        names,
        [
            "observed_curve",
            "surrogate_curve",
            "task_optimal_curve",
            "moments_curve",
            "diffusion_curve"
        ]
    );
    let p_swap = floats(&methods, "p_swap");
    let near = floats(&methods, "p_swap_near");
    // The surrogate swaps, most where the cue locations are close.
    assert!(near[1] > 0.15, "surrogate's swap rate at close cues: {}", near[1]);
    // The task-optimal network reports the cued colour: its swap rate is near zero.
    assert!(p_swap[2] < 0.08, "task-optimal swap rate: {}", p_swap[2]);
    // The diffusion network's responses are multimodal where the surrogate's are: a second mode
    // at the non-target colour when the cues are close.
    assert!(
        near[4] > 0.1,
        "diffusion network's swap rate at close cues: {}",
        near[4]
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

    // Editing only an analysis reruns only that analysis (and the table that stacks it).
    let edited = p.rnx(&[
        "run",
        &file,
        "--profile",
        "quick",
        "--set",
        "diffusion_curve.trials=800",
    ]);
    ok(&edited);
    assert_eq!(ran(&edited), ["diffusion_curve", "methods"]);
    let again = p.rnx(&[
        "run",
        &file,
        "--profile",
        "quick",
        "--set",
        "diffusion_curve.trials=800",
    ]);
    ok(&again);
    assert!(ran(&again).is_empty());
}
