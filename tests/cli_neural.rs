//! End-to-end tests of the neural core through the real binary: a small delayed-reach network
//! learns, degrades with noise, reruns incrementally, is deterministic, and fails cleanly on NaN.

mod common;

use common::{Project, column, ok, ran, reasons_for, stderr, stdout};

/// A short delayed reach and a small network: trains in seconds on one core.
const PIPELINE: &str = r#"
pipeline reach_test { seed = 3 }
task reach = delayed_reach { hold = 100 ms  delay_min = 100 ms  delay_max = 200 ms  reaction = 50 ms  movement = 200 ms  post = 50 ms  dt = 20 ms }
model net = ctrnn { units = 48  tau = 60 ms  activation = tanh }
loss fit_loss = mse + 1e-4 * rate_l2
train fit = train(net, reach, fit_loss) { steps = 400  batch = 32  lr = 0.005  log_every = 20 }
analysis ev = evaluate(fit, reach) { trials = 128 }
analysis noise = robustness(fit, reach) { input_noise = [0, 0.5, 1, 2]  trials = 128 }
analysis pcs = pca(ev) { components = 3 }
analysis fps = fixed_points(fit, reach) { epoch = "delay"  inits = 8  max_iters = 2000  trials = 32 }
"#;

#[test]
fn a_small_network_learns_the_reach_and_noise_degrades_it() {
    let p = Project::new();
    p.write("r.rnx", PIPELINE);
    ok(&p.rnx(&["run", "r.rnx"]));
    let metrics = stdout(&p.rnx(&["show", "r.rnx", "ev", "--table", "metrics"]));
    let r2 = column(&metrics, "value")[1];
    assert!(
        r2 > 0.9,
        "the trained network explains the hand path: R^2 = {r2}\n{metrics}"
    );

    let curve = stdout(&p.rnx(&["show", "r.rnx", "fit", "--table", "curve", "-n", "100"]));
    let mse = column(&curve, "mse");
    assert!(
        mse.last().unwrap() < &(mse[0] / 5.0),
        "training lowers the error: {mse:?}"
    );

    let rob = stdout(&p.rnx(&["show", "r.rnx", "noise"]));
    let r2_by_level = column(&rob, "r2");
    assert_eq!(r2_by_level.len(), 4, "{rob}");
    for pair in r2_by_level.windows(2) {
        assert!(
            pair[1] <= pair[0] + 0.02,
            "performance degrades as noise grows: {r2_by_level:?}"
        );
    }
    assert!(r2_by_level[3] < r2_by_level[0] - 0.05, "{r2_by_level:?}");

    let variance = stdout(&p.rnx(&["show", "r.rnx", "pcs", "--table", "variance", "-n", "100"]));
    let ratio = column(&variance, "ratio");
    assert!((ratio.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{variance}");
    assert!(ratio[0] >= ratio[1] && ratio[1] >= ratio[2]);

    let summary = stdout(&p.rnx(&["show", "r.rnx", "fps", "--table", "summary"]));
    let found = column(&summary, "points");
    assert_eq!(found.len(), 8, "one row per target: {summary}");
    assert!(
        found.iter().all(|&k| k >= 1.0),
        "a fixed point under every target's delay input: {summary}"
    );
    let points = stdout(&p.rnx(&["show", "r.rnx", "fps", "--table", "points", "-n", "1000"]));
    assert!(column(&points, "q").iter().all(|&q| q < 1e-10), "{points}");

    // Editing only the robustness levels reruns only robustness.
    p.write("r.rnx", &PIPELINE.replace("[0, 0.5, 1, 2]", "[0, 0.25, 0.5, 1, 2]"));
    let rerun = p.rnx(&["run", "r.rnx"]);
    ok(&rerun);
    assert_eq!(ran(&rerun), ["noise"]);
    assert!(
        reasons_for(&rerun, "noise").contains("`input_noise` changed"),
        "{}",
        stderr(&rerun)
    );
}

#[test]
fn the_same_file_and_seed_give_byte_identical_weights_and_tables() {
    let p = Project::new();
    let quick = PIPELINE.replace("steps = 400", "steps = 30");
    p.write("r.rnx", &quick);
    let read_all = |cache: &str| {
        let mut out: Vec<(String, Vec<u8>)> = Vec::new();
        for entry in std::fs::read_dir(p.path(cache).join("v1/objects")).unwrap() {
            for file in std::fs::read_dir(entry.unwrap().path()).unwrap() {
                let file = file.unwrap().path();
                let name = file.file_name().unwrap().to_string_lossy().to_string();
                // Wall times and the manifest (which records them) are the only expected differences.
                if name != "timing.parquet" && name != "manifest.json" {
                    let key = file
                        .parent()
                        .unwrap()
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .to_string();
                    out.push((format!("{key}/{name}"), std::fs::read(&file).unwrap()));
                }
            }
        }
        out.sort();
        out
    };
    ok(&p
        .command(&["run", "r.rnx"])
        .env("RNX_CACHE", p.path("a"))
        .output()
        .unwrap());
    ok(&p
        .command(&["run", "r.rnx"])
        .env("RNX_CACHE", p.path("b"))
        .output()
        .unwrap());
    let (a, b) = (read_all("a"), read_all("b"));
    assert!(a.iter().any(|(n, _)| n.ends_with("weights.safetensors")));
    assert_eq!(a.len(), b.len());
    for ((na, ba), (nb, bb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(ba == bb, "{na} differs between two identical runs");
    }
}

#[test]
fn a_diverging_loss_fails_the_stage_naming_the_step_and_commits_nothing() {
    let p = Project::new();
    let exploding = PIPELINE
        .replace(
            "units = 48  tau = 60 ms  activation = tanh",
            "units = 48  tau = 40 ms  activation = relu  g = 60",
        )
        .replace("lr = 0.005", "lr = 0.005  clip = 0");
    p.write("r.rnx", &exploding);
    let run = p.rnx(&["run", "r.rnx"]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains("stage `fit` failed"), "{err}");
    assert!(err.contains("at step 0"), "{err}");
    assert!(err.contains("r.rnx:6:1"), "points at the train declaration: {err}");
    let status = stdout(&p.rnx(&["status", "r.rnx"]));
    assert!(
        status.lines().any(|l| l.starts_with("missing") && l.contains("fit")),
        "{status}"
    );
}

#[cfg(not(feature = "cuda"))]
#[test]
fn asking_for_cuda_in_a_cpu_build_is_a_clear_error() {
    let p = Project::new();
    p.write("r.rnx", PIPELINE);
    let run = p.rnx(&["run", "r.rnx", "--device", "cuda"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("built without CUDA"), "{}", stderr(&run));
    p.write("c.rnx", &PIPELINE.replace("seed = 3 }", "seed = 3  device = cuda }"));
    let from_file = p.rnx(&["run", "c.rnx"]);
    assert_eq!(from_file.status.code(), Some(1));
    assert!(ran(&from_file).is_empty(), "nothing runs");
}
