//! `rnx bench engine`: plan, no-op run and status times on generated pipelines of trivial stages,
//! with Snakemake on the same DAG as the reference when it is installed.
//!
//! Every number is a wall-clock time of a whole process (`rnx run`, `snakemake`), as a user sees it.
//! The ratio is Snakemake's time over rnx's, measured in the same run on the same machine.

use super::EXIT_FAILURE;
use super::args::BenchArgs;
use super::stdout::out;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn run(args: BenchArgs) -> u8 {
    match args.what.as_str() {
        "engine" => {}
        "train" => return super::bench_train::run(&args),
        "tasks" => return super::bench_tasks::run(&args),
        other => {
            eprintln!("error: unknown benchmark `{other}`\n  help: the benchmarks are: engine, train, tasks");
            return EXIT_FAILURE;
        }
    }
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot find the rnx executable: {e}");
            return EXIT_FAILURE;
        }
    };
    let snakemake = args
        .snakemake
        .clone()
        .or_else(|| which("snakemake"))
        .map(|p| p.canonicalize().unwrap_or(p));
    match &snakemake {
        Some(s) => eprintln!("reference: {} ({})", s.display(), version(s)),
        None => eprintln!("reference: snakemake not found (pass --snakemake PATH); reporting rnx times only"),
    }
    let mut report = String::new();
    let _ = writeln!(
        report,
        "{:>7}  {:>12}  {:>12}  {:>12}  {:>12}  {:>14}  {:>14}",
        "stages", "check+plan", "noop run", "status", "dry run", "snakemake noop", "snakemake dry"
    );
    for &n in &args.sizes {
        let dir = match tempdir(n) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: cannot create a work folder: {e}");
                return EXIT_FAILURE;
            }
        };
        let file = dir.join("bench.rnx");
        if let Err(e) = std::fs::write(&file, pipeline_text(n)) {
            eprintln!("error: cannot write {}: {e}", file.display());
            return EXIT_FAILURE;
        }
        let cache = dir.join("cache");
        let rnx = |sub: &[&str]| {
            let mut c = Command::new(&exe);
            c.args(sub).arg(&file);
            if sub[0] != "check" {
                c.arg("--cache-dir").arg(&cache);
            }
            c
        };
        eprintln!("[{n} stages] first run (not timed as a result)...");
        if !quiet(rnx(&["run"]).arg("--jobs").arg(args.jobs.to_string())) {
            eprintln!("error: the first run of the generated pipeline failed");
            return EXIT_FAILURE;
        }
        let check = best_of(args.repeat, || quiet(&mut rnx(&["check"])));
        let noop = best_of(args.repeat, || quiet(&mut rnx(&["run"])));
        let status = best_of(args.repeat, || quiet(&mut rnx(&["status"])));
        let dry = best_of(args.repeat, || quiet(&mut rnx(&["run", "--dry-run"])));
        let (sm_noop, sm_dry) = match &snakemake {
            Some(s) => snakemake_times(s, &dir, n, args.repeat, n <= args.snakemake_build_limit),
            None => (None, None),
        };
        let fmt = |d: Option<Duration>| d.map_or("-".to_string(), |d| format!("{:.3} s", d.as_secs_f64()));
        let _ = writeln!(
            report,
            "{n:>7}  {:>12}  {:>12}  {:>12}  {:>12}  {:>14}  {:>14}",
            fmt(check),
            fmt(noop),
            fmt(status),
            fmt(dry),
            fmt(sm_noop),
            fmt(sm_dry)
        );
        if let (Some(a), Some(b)) = (noop, sm_noop) {
            let _ = writeln!(
                report,
                "         no-op rerun: snakemake / rnx = {:.1}x",
                b.as_secs_f64() / a.as_secs_f64()
            );
        }
        if let (Some(a), Some(b)) = (dry, sm_dry) {
            let _ = writeln!(
                report,
                "         dry run:     snakemake / rnx = {:.1}x",
                b.as_secs_f64() / a.as_secs_f64()
            );
        }
        if !args.keep {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    out!("{report}");
    0
}

/// `n` trivial stages: `n/2` small `trials` stages, each feeding a `concat` stage.
pub fn pipeline_text(n: usize) -> String {
    let pairs = n / 2;
    let mut s = String::from(
        "pipeline bench { seed = 1 }\ntask t = delayed_reach { hold = 50 ms  delay_min = 50 ms  delay_max = 50 ms  movement = 100 ms  post = 50 ms }\n",
    );
    for i in 0..pairs {
        let _ = writeln!(s, "data a{i} = trials(t) {{ n = 1  seed = {i} }}");
        let _ = writeln!(s, "data b{i} = concat(a{i})");
    }
    s
}

/// The same DAG for Snakemake: `n/2` rules' outputs, each consumed by one more rule.
fn snakefile_text(n: usize) -> String {
    let pairs = n / 2;
    format!(
        "rule all:\n    input: expand('b/{{i}}.txt', i=range({pairs}))\n\nrule a:\n    output: 'a/{{i}}.txt'\n    shell: 'touch {{output}}'\n\nrule b:\n    input: 'a/{{i}}.txt'\n    output: 'b/{{i}}.txt'\n    shell: 'touch {{output}}'\n"
    )
}

/// Builds the Snakemake workflow once, then times its no-op run and its dry run.
fn snakemake_times(
    exe: &Path,
    dir: &Path,
    n: usize,
    repeat: usize,
    fresh: bool,
) -> (Option<Duration>, Option<Duration>) {
    let sm_dir = dir.join("snakemake");
    if std::fs::create_dir_all(&sm_dir).is_err() || std::fs::write(sm_dir.join("Snakefile"), snakefile_text(n)).is_err()
    {
        return (None, None);
    }
    let sm = |extra: &[&str]| {
        let mut c = Command::new(exe);
        c.current_dir(&sm_dir)
            .args(["--cores", "2", "--quiet", "all"])
            .args(extra);
        c
    };
    if fresh {
        eprintln!("[{n} stages] snakemake first run (not timed as a result)...");
    } else {
        // Building tens of thousands of jobs takes Snakemake an hour; the no-op rerun is what is
        // measured, so the outputs are made here, inputs older than outputs, as a finished run leaves them.
        eprintln!("[{n} stages] making snakemake's outputs directly, then one settling run (not timed)...");
        if make_outputs(&sm_dir, n).is_err() {
            return (None, None);
        }
    }
    if !quiet(&mut sm(&[])) {
        eprintln!("warning: snakemake's first run failed; no reference for {n} stages");
        return (None, None);
    }
    let noop = best_of(repeat, || quiet(&mut sm(&[])));
    let dry = best_of(repeat, || quiet(&mut sm(&["--dry-run"])));
    (noop, dry)
}

/// Creates the workflow's outputs as a completed run would leave them: `a/` first, then `b/`.
fn make_outputs(dir: &Path, n: usize) -> std::io::Result<()> {
    for sub in ["a", "b"] {
        std::fs::create_dir_all(dir.join(sub))?;
        for i in 0..n / 2 {
            std::fs::write(dir.join(sub).join(format!("{i}.txt")), b"")?;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// The fastest of `repeat` successful runs.
fn best_of(repeat: usize, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let mut best: Option<Duration> = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        if !f() {
            return None;
        }
        let d = t.elapsed();
        best = Some(best.map_or(d, |b| b.min(d)));
    }
    best
}

fn quiet(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .env("RNX_PLAIN", "1")
        .status()
        .is_ok_and(|s| s.success())
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn version(exe: &Path) -> String {
    Command::new(exe)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "version unknown".into())
}

fn tempdir(n: usize) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("rnx-bench-{}-{n}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
