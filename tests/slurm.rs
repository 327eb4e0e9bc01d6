//! The SLURM executor against a real cluster: the same pipeline through SLURM and locally gives
//! the same keys and byte-identical tables; a stage that fails on a node is reported with its
//! job id and log; killing rnx midway and rerunning completes without redoing finished stages.
//!
//! These need a reachable SLURM cluster (`scripts/slurm-up.sh` starts a single-node one; CI runs
//! it and sets `RNX_REQUIRE_SLURM=1`, which turns a missing cluster into a failure). Elsewhere
//! they say that they were skipped.

mod common;

use common::{Project, ok, ran, stderr};
use std::path::Path;
use std::time::{Duration, Instant};

const PIPELINE: &str = r#"
pipeline cluster { seed = 5 }
task wm = working_memory { items = 2 }
task reach = delayed_reach { hold = 100 ms  delay_min = 100 ms  delay_max = 200 ms  reaction = 50 ms  movement = 200 ms  post = 50 ms  dt = 20 ms }
model net = ctrnn { units = 16  tau = 60 ms  activation = tanh }
loss fit_loss = mse + 1e-4 * rate_l2
data observed = swap_mixture(wm) { trials = 200  kappa = sweep(5, 10, 20) }
data all = concat(observed)
train fit = train(net, reach, fit_loss) { steps = 80  batch = 16  lr = 0.005  log_every = 20  slurm = { cpus = 1 } }
analysis ev = evaluate(fit, reach) { trials = 32 }
"#;

fn slurm_available() -> bool {
    let up = std::process::Command::new("sinfo")
        .args(["--noheader", "--format=%T"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    if !up && std::env::var_os("RNX_REQUIRE_SLURM").is_some() {
        panic!("RNX_REQUIRE_SLURM is set but no SLURM cluster answers `sinfo`");
    }
    if !up {
        eprintln!("skipped: no SLURM cluster (scripts/slurm-up.sh starts one)");
    }
    up
}

/// The committed entries' non-volatile files, by `key/name`.
fn tables(cache: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for d in std::fs::read_dir(cache.join("v1/objects")).unwrap().flatten() {
        for f in std::fs::read_dir(d.path()).unwrap().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name == "manifest.json" || name == "timing.parquet" {
                continue;
            }
            out.push((
                format!("{}/{name}", d.file_name().to_string_lossy()),
                std::fs::read(f.path()).unwrap(),
            ));
        }
    }
    out.sort();
    out
}

fn slurm_run<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["run"];
    v.extend_from_slice(args);
    v.extend_from_slice(&["--executor", "slurm", "--poll", "0.2"]);
    v
}

#[test]
fn a_pipeline_through_slurm_matches_a_local_run_byte_for_byte() {
    if !slurm_available() {
        return;
    }
    let local = Project::new();
    local.write("c.rnx", PIPELINE);
    ok(&local.rnx(&["run", "c.rnx"]));
    let cluster = Project::new();
    cluster.write("c.rnx", PIPELINE);
    let run = cluster.rnx(&slurm_run(&["c.rnx"]));
    ok(&run);
    assert!(stderr(&run).contains("executor: slurm"), "{}", stderr(&run));
    assert_eq!(ran(&run).len(), 6, "{}", stderr(&run));
    let (a, b) = (tables(&local.cache()), tables(&cluster.cache()));
    assert!(a.len() >= 6);
    assert_eq!(
        a.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        b.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "the same cache keys"
    );
    assert!(a == b, "the same bytes");
    // And then it is all cached, locally as on the cluster.
    let again = cluster.rnx(&["run", "c.rnx"]);
    assert!(ran(&again).is_empty(), "{:?}", ran(&again));
}

#[test]
fn a_stage_that_fails_on_a_node_names_its_job_and_log() {
    if !slurm_available() {
        return;
    }
    let p = Project::new();
    let exploding = PIPELINE
        .replace(
            "units = 16  tau = 60 ms  activation = tanh",
            "units = 48  tau = 40 ms  activation = relu  g = 60",
        )
        .replace("lr = 0.005", "lr = 0.005  clip = 0");
    p.write("c.rnx", &exploding);
    let run = p.rnx(&slurm_run(&["c.rnx"]));
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains("stage `fit` failed"), "{err}");
    assert!(
        err.contains("SLURM job ") && err.contains("_0 ("),
        "names the job: {err}"
    );
    assert!(err.contains("at step 0"), "the log's tail: {err}");
    assert!(err.contains("1 skipped"), "ev never ran: {err}");
}

#[test]
fn killing_rnx_midway_and_rerunning_finishes_without_redoing_stages() {
    if !slurm_available() {
        return;
    }
    let p = Project::new();
    p.write("c.rnx", &PIPELINE.replace("steps = 80", "steps = 1500"));
    let mut child = p
        .command(&slurm_run(&["c.rnx"]))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the first stages are committed.
    let deadline = Instant::now() + Duration::from_secs(120);
    let objects = p.cache().join("v1/objects");
    while std::fs::read_dir(&objects).map_or(0, |d| d.count()) < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let committed: Vec<String> = std::fs::read_dir(&objects)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let m = std::fs::read_to_string(e.path().join("manifest.json")).ok()?;
            let v: serde_json::Value = serde_json::from_str(&m).ok()?;
            Some(v["stage"].as_str()?.to_string())
        })
        .collect();
    assert!(!committed.is_empty());
    let rerun = p.rnx(&slurm_run(&["c.rnx"]));
    ok(&rerun);
    let redone = ran(&rerun);
    for stage in &committed {
        assert!(
            !redone.contains(stage),
            "{stage} was committed before the kill but ran again"
        );
    }
    let after = p.rnx(&["run", "c.rnx"]);
    assert!(ran(&after).is_empty(), "complete: {:?}", ran(&after));
}

#[test]
fn ctrl_c_cancels_the_runs_jobs() {
    if !slurm_available() {
        return;
    }
    let p = Project::new();
    p.write("c.rnx", &PIPELINE.replace("steps = 80", "steps = 200000"));
    let mut child = p
        .command(&slurm_run(&["c.rnx"]))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let name = format!("rnx-cluster-{}-", child.id());
    // Our running jobs, each with the seconds it has run so far.
    let ours = || -> Vec<u64> {
        let out = std::process::Command::new("squeue")
            .args(["--noheader", "--array", "--format=%j %T %M"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with(&name) && l.contains("RUNNING"))
            .map(|l| l.rsplit(' ').next().map_or(0, elapsed_seconds))
            .collect()
    };
    // Wait until the training job runs: the data stages' jobs end within a second or two, so a
    // job that has run for 3 s is the 200,000-step training. A job seen once may be gone at the
    // next poll, so what was seen is kept rather than asked again.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut training_seen = false;
    while !training_seen && Instant::now() < deadline {
        training_seen = ours().iter().any(|&s| s >= 3);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(training_seen, "the training job never started");
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "an interrupted run exits 130");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ours().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(ours(), Vec::<u64>::new(), "its jobs were cancelled");
}

/// squeue's `%M` time used ("SS", "M:SS", "H:MM:SS" or "D-HH:MM:SS") in seconds.
fn elapsed_seconds(used: &str) -> u64 {
    let (days, clock) = used.split_once('-').unwrap_or(("0", used));
    let clock = clock
        .split(':')
        .fold(0, |acc, part| acc * 60 + part.parse::<u64>().unwrap_or(0));
    days.parse::<u64>().unwrap_or(0) * 86_400 + clock
}

#[test]
fn resources_are_not_part_of_a_key() {
    let p = Project::new();
    p.write("c.rnx", PIPELINE);
    ok(&p.rnx(&["run", "c.rnx"]));
    p.write(
        "c.rnx",
        &PIPELINE.replace("slurm = { cpus = 1 }", "slurm = { cpus = 8  time = \"2:00:00\" }"),
    );
    let again = p.rnx(&["run", "c.rnx"]);
    ok(&again);
    assert!(ran(&again).is_empty(), "{:?}", ran(&again));
}
