//! The shipped pipelines: each checks, and its quick profile runs end to end with the structural
//! facts its paper predicts.

mod common;

use arrow_array::{Array, Float64Array, StringArray};
use common::{Project, ok, ran, stderr, stdout};

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

/// Runs the quick profile with `extra` arguments, writing the lock into the scratch project
/// rather than beside the shipped pipeline.
fn run_quick(p: &Project, file: &str, extra: &[&str]) -> std::process::Output {
    let lock = p.path("quick.lock").to_string_lossy().into_owned();
    let mut args = vec!["run", file, "--lock", &lock, "--profile", "quick"];
    args.extend_from_slice(extra);
    p.rnx(&args)
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
    let run = run_quick(&p, &file, &[]);
    ok(&run);
    assert_eq!(ran(&run).len(), 20, "every stage ran: {:?}", ran(&run));

    // The report of the quick run: a section per stage, every declared figure drawn with data.
    let html = p.path("swap_errors.html");
    let report = p.rnx(&["report", &file, "--profile", "quick", "-o", html.to_str().unwrap()]);
    ok(&report);
    assert!(
        stderr(&report).contains("report: 20 sections, 26 figures"),
        "{}",
        stderr(&report)
    );
    let html = std::fs::read_to_string(html).unwrap();
    assert_eq!(html.matches("<section id=").count(), 20);
    assert_eq!(html.matches("data-points=\"0\"").count(), 0, "a figure without data");

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
    let edited = run_quick(&p, &file, &["--set", "diffusion_curve.trials=800"]);
    ok(&edited);
    assert_eq!(ran(&edited), ["diffusion_curve", "methods"]);
    let again = run_quick(&p, &file, &["--set", "diffusion_curve.trials=800"]);
    ok(&again);
    assert!(ran(&again).is_empty());
}

#[test]
fn delayed_reach_quick_profile_runs_end_to_end() {
    let p = Project::new();
    let file = pipeline("delayed_reach.rnx");
    let run = run_quick(&p, &file, &[]);
    ok(&run);

    // One row per sweep member, each network trained below the stated error.
    let networks = table(&p, &file, "networks", "comparison");
    assert_eq!(networks.num_rows(), 9, "3 activations x 3 rate penalties");
    for (i, loss) in floats(&networks, "final_loss").iter().enumerate() {
        assert!(*loss < 0.02, "network {i} did not learn the reach: final loss {loss}");
    }

    // Robustness curves are monotone within noise: R^2 never rises by more than 0.05.
    let shown = stdout(&p.rnx(&["show", &file, "noise", "--profile", "quick"]));
    assert!(shown.contains("r2"), "{shown}");
    let members = ["tanh", "relu", "softplus"];
    for activation in members {
        for rate_l2 in ["0.0001", "0.001", "0.003"] {
            let stage = format!("noise[activation={activation},rate_l2={rate_l2}]");
            let curve = table(&p, &file, &stage, "robustness");
            let r2 = floats(&curve, "r2");
            for w in r2.windows(2) {
                assert!(w[1] <= w[0] + 0.05, "{stage}: R^2 rose with noise: {r2:?}");
            }
        }
    }

    // Editing only the robustness levels reruns the robustness stages and what reads them.
    let edited = run_quick(&p, &file, &["--set", "noise.input_noise=[0, 0.2, 0.8]"]);
    ok(&edited);
    let mut reran: Vec<String> = ran(&edited)
        .into_iter()
        .map(|s| s.split('[').next().unwrap_or_default().to_string())
        .collect();
    reran.sort();
    reran.dedup();
    assert_eq!(reran, ["card", "networks", "noise"], "{:?}", ran(&edited));
}

#[test]
fn sparse_dynamics_quick_profile_runs_end_to_end() {
    let p = Project::new();
    let file = pipeline("sparse_dynamics.rnx");
    let run = run_quick(&p, &file, &[]);
    ok(&run);

    // One row per recorded fraction, every student fitting the teacher's EMG.
    let students = table(&p, &file, "students", "comparison");
    assert_eq!(students.num_rows(), 6, "p in {{0, 1%, 2%, 5%, 10%, 20%}}");
    for (i, r2) in floats(&students, "trained_conditions_r2").iter().enumerate() {
        assert!(*r2 > 0.9, "student {i} did not learn the EMG: R^2 {r2}");
    }
    for column in ["held_out_r2", "svcca", "procrustes"] {
        let values = floats(&students, column);
        assert!(values.iter().all(|v| v.is_finite()), "{column}: {values:?}");
    }

    // Another choice of recorded units reruns the recording and the students, never the teacher.
    let reseeded = run_quick(&p, &file, &["--set", "recorded.seed=2"]);
    ok(&reseeded);
    let reran = ran(&reseeded);
    assert!(reran.iter().any(|s| s.starts_with("student[")), "{reran:?}");
    let allowed = [
        "recorded",
        "student",
        "trained_conditions",
        "held_out",
        "likeness",
        "card",
        "students",
    ];
    for stage in &reran {
        let base = stage.split('[').next().unwrap_or_default();
        assert!(
            allowed.contains(&base),
            "`{stage}` reran after only the sampling seed changed"
        );
    }
    // Recording no unit is the same with any seed, so the output-only student is not retrained.
    assert!(!reran.iter().any(|s| s == "student[fraction=0]"), "{reran:?}");
}

/// The committed locks describe the pipelines as the code plans them: a change to a pipeline, an
/// operator's version or a default that alters a key fails here until the lock is refreshed
/// (by rerunning the pipeline), so the lock, and the README numbers drawn from its run, go
/// stale only loudly.
#[test]
fn committed_locks_have_the_keys_the_code_computes() {
    let p = Project::new();
    for name in ["swap_errors.rnx", "delayed_reach.rnx", "sparse_dynamics.rnx"] {
        let out = p.rnx(&["verify", &pipeline(name), "--keys"]);
        assert!(
            out.status.success(),
            "{name}: the committed lock is stale:\n{}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(
            stdout(&out).lines().all(|l| l.starts_with("same key")),
            "{}",
            stdout(&out)
        );
    }
}

/// `verify --keys` names the stage whose key moved and why; its dependents, keyed on the
/// content hashes the lock records for their inputs, are not blamed.
#[test]
fn verify_keys_names_an_edited_stage_and_the_parameter() {
    let p = Project::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let text = std::fs::read_to_string(dir.join("swap_errors.rnx")).unwrap();
    let edited = text.replacen("steps = 3000", "steps = 3001", 1);
    assert_ne!(edited, text, "the pipeline has a `steps = 3000` to edit");
    let file = p.write("swap_errors.rnx", &edited);
    std::fs::copy(dir.join("swap_errors.rnx.lock"), p.path("swap_errors.rnx.lock")).unwrap();
    let out = p.rnx(&["verify", &file.to_string_lossy(), "--keys"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let shown = stdout(&out);
    let differs: Vec<&str> = shown.lines().filter(|l| l.starts_with("KEY DIFFERS")).collect();
    assert_eq!(differs.len(), 1, "{shown}");
    assert!(
        differs[0].contains("task_optimal") && differs[0].contains("steps"),
        "{}",
        differs[0]
    );
}
