//! End-to-end tests of data from outside rnx: a task read from a table of trials trains and is
//! analysed, and a shipped behavioural data file goes `load` -> `nonparametric` -> `swap_curve`.

mod common;

use common::{Project, column, ok, ran, stderr, stdout};

/// "Remember the sign of a pulse" as a long CSV table: fixation, a pulse of sign s (two
/// amplitudes), a delay of 5 to 10 steps (so trials differ in length), then a go cue and the
/// response s, the only steps the mask counts.
fn pulse_trials() -> String {
    let mut csv = String::from("trial,step,in_pulse,in_go,target_sign,mask,epoch,condition,amplitude\n");
    for trial in 0..48 {
        let sign = if trial % 2 == 0 { -1.0 } else { 1.0 };
        let amplitude = if (trial / 2) % 2 == 0 { 0.5 } else { 1.0 };
        let delay = 5 + trial % 6;
        let epochs = [("fix", 3), ("pulse", 3), ("delay", delay), ("response", 8)];
        let mut step = 0;
        for (epoch, length) in epochs {
            for _ in 0..length {
                let (pulse, go, target, mask) = match epoch {
                    "pulse" => (sign * amplitude, 0.0, 0.0, 0.0),
                    "response" => (0.0, 1.0, sign, 1.0),
                    _ => (0.0, 0.0, 0.0, 0.0),
                };
                let condition = (sign > 0.0) as i64;
                csv.push_str(&format!(
                    "{trial},{step},{pulse},{go},{target},{mask},{epoch},{condition},{amplitude}\n"
                ));
                step += 1;
            }
        }
    }
    csv
}

const PULSE: &str = r#"
pipeline pulse_test { seed = 4 }
task pulse = trial_table { path = "pulse.csv"  dt = 20 ms }
model net = ctrnn { units = 32  tau = 60 ms  activation = tanh }
loss fit_loss = mse
train fit = train(net, pulse, fit_loss) { steps = 300  batch = 32  lr = 0.01  log_every = 50 }
analysis ev = evaluate(fit, pulse) { trials = 48  variant = "all" }
analysis noise = robustness(fit, pulse) { input_noise = [0, 2]  trials = 64 }
analysis fps = fixed_points(fit, pulse) { epoch = "delay"  inits = 4  max_iters = 1000  trials = 16 }
"#;

#[test]
fn a_task_from_a_table_of_trials_trains_and_is_analysed() {
    let p = Project::new();
    p.write("pulse.csv", &pulse_trials());
    p.write("p.rnx", PULSE);
    ok(&p.rnx(&["run", "p.rnx"]));
    let metrics = stdout(&p.rnx(&["show", "p.rnx", "ev", "--table", "metrics"]));
    let r2 = column(&metrics, "value")[1];
    assert!(
        r2 > 0.98,
        "the network remembers the pulse's sign: R^2 = {r2}\n{metrics}"
    );
    let outputs = stdout(&p.rnx(&["show", "p.rnx", "ev", "--table", "outputs", "-n", "100000"]));
    let trials = column(&outputs, "trial");
    assert_eq!(
        trials.len(),
        48 * 14 + (0..48).map(|t| 5 + t % 6).sum::<usize>(),
        "every real step of every table trial, no padding"
    );

    let rob = stdout(&p.rnx(&["show", "p.rnx", "noise"]));
    let r2_by_level = column(&rob, "r2");
    assert_eq!(r2_by_level.len(), 2, "{rob}");
    assert!(r2_by_level[1] < r2_by_level[0], "noise degrades it: {r2_by_level:?}");

    let summary = stdout(&p.rnx(&["show", "p.rnx", "fps", "--table", "summary"]));
    assert_eq!(column(&summary, "points").len(), 2, "one row per sign: {summary}");

    // A rerun without edits runs nothing; editing the file reruns what uses the task.
    let again = p.rnx(&["run", "p.rnx"]);
    ok(&again);
    assert!(common::ran(&again).is_empty(), "{}", stderr(&again));
    // The key holds the file's content, not its name: a copy elsewhere is served from the cache.
    std::fs::create_dir(p.path("moved")).expect("folder");
    p.write("moved/pulse.csv", &pulse_trials());
    p.write("moved/p.rnx", PULSE);
    let moved = p.rnx(&["run", "moved/p.rnx"]);
    ok(&moved);
    assert!(common::ran(&moved).is_empty(), "{}", stderr(&moved));
    p.write("pulse.csv", &pulse_trials().replace("0.5,", "0.25,"));
    let edited = p.rnx(&["run", "p.rnx"]);
    ok(&edited);
    assert!(
        common::reasons_for(&edited, "fit").contains("task.path"),
        "{}",
        stderr(&edited)
    );
}

#[test]
fn a_malformed_table_fails_its_stage_by_name() {
    let p = Project::new();
    p.write("pulse.csv", "trial,step,in_pulse,target_sign\n0,0,1,1\n0,2,1,1\n");
    p.write("p.rnx", PULSE);
    let out = p.rnx(&["run", "p.rnx"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("fit") && err.contains("pulse.csv") && err.contains("step 1 is missing"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

const BEHAVIOUR: &str = r#"
pipeline behaviour_test { seed = 2 }
task wm = working_memory { items = 2  dt = 20 ms  min_separation = 30 deg  n_tuning = 8  stimulus = 100 ms  delay = 200 ms  cue = 100 ms  cue_delay = 0 ms  response_steps = 40 }
data observed = load { path = "example_behaviour.csv"  table = "trials" }
data surrogate = nonparametric(observed, wm) { trials = 4000 }
analysis observed_curve = swap_curve(observed) { bins = 4 }
analysis surrogate_curve = swap_curve(surrogate, reference = observed_curve) { bins = 4 }
"#;

fn shipped_behaviour() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines/data/example_behaviour.csv");
    std::fs::read_to_string(path).expect("the shipped example data")
}

#[test]
fn shipped_behaviour_goes_through_load_nonparametric_and_swap_curve() {
    let p = Project::new();
    p.write("example_behaviour.csv", &shipped_behaviour());
    p.write("b.rnx", BEHAVIOUR);
    ok(&p.rnx(&["run", "b.rnx"]));

    let summary = stdout(&p.rnx(&["show", "b.rnx", "observed_curve", "--table", "summary"]));
    assert_eq!(column(&summary, "trials"), [800.0], "{summary}");
    let p_swap = column(&summary, "p_swap")[0];
    assert!(
        (0.08..0.3).contains(&p_swap),
        "a plausible swap rate: {p_swap}\n{summary}"
    );

    let curve = stdout(&p.rnx(&["show", "b.rnx", "observed_curve", "--table", "curve"]));
    let by_bin = column(&curve, "p_swap");
    assert_eq!(by_bin.len(), 4, "{curve}");
    assert!(
        by_bin.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)),
        "{curve}"
    );
    assert!(by_bin[0] > by_bin[3], "swaps fall with cue distance: {by_bin:?}");

    let fitted = stdout(&p.rnx(&["show", "b.rnx", "surrogate", "--table", "fit"]));
    assert_eq!(column(&fitted, "trials_fitted"), [800.0], "{fitted}");
    let surrogate = stdout(&p.rnx(&["show", "b.rnx", "surrogate_curve", "--table", "summary"]));
    let rmse = column(&surrogate, "curve_rmse")[0];
    assert!(
        rmse.is_finite() && rmse < 0.15,
        "the surrogate follows the data: {rmse}\n{surrogate}"
    );
}

#[test]
fn a_load_without_the_trials_table_or_columns_is_a_check_error() {
    let p = Project::new();
    p.write("example_behaviour.csv", &shipped_behaviour());
    p.write("b.rnx", &BEHAVIOUR.replace("  table = \"trials\"", ""));
    for command in ["check", "run"] {
        let out = p.rnx(&[command, "b.rnx"]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{command} passed:\n{err}");
        assert!(
            err.contains("stage `observed` writes no table `trials`") && err.contains("table = \"trials\""),
            "{err}"
        );
        assert!(ran(&out).is_empty(), "nothing runs: {:?}", ran(&out));
    }

    let without_cue: String = shipped_behaviour()
        .lines()
        .map(|l| l.rsplitn(3, ',').collect::<Vec<_>>())
        .map(|parts| format!("{},{}", parts[2], parts[0]))
        .collect::<Vec<_>>()
        .join("\n");
    p.write("example_behaviour.csv", &without_cue);
    let training =
        "model net = ctrnn { units = 8 }\nloss l = mse\ntrain fit = train(net, wm, l, observed) { steps = 1 }\n";
    p.write("b.rnx", &format!("{BEHAVIOUR}{training}"));
    let err = stderr(&p.rnx(&["check", "b.rnx"]));
    assert!(
        err.contains("table `trials` of `observed` lacks the column `cued`") && err.contains("`nonparametric` needs"),
        "{err}"
    );
}

#[test]
fn a_load_whose_file_changes_after_check_is_still_refused_at_run_time() {
    // The check reads the header; a run reads the rows. The run-time check stays for files that
    // change in between and for what a header cannot show (types in a CSV, missing values).
    let p = Project::new();
    let with_text: String = shipped_behaviour()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 1 {
                format!("{},left", l.rsplit_once(',').unwrap().0)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    p.write("example_behaviour.csv", &with_text);
    p.write("b.rnx", BEHAVIOUR);
    let out = p.rnx(&["run", "b.rnx"]);
    assert!(!out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("response") && !err.contains("panicked"), "{err}");
}
