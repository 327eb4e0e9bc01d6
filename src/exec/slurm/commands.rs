//! Talking to SLURM through its commands: `sbatch`, `squeue`, `scontrol` and `scancel`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Runs a SLURM command and returns its standard output, or what went wrong.
fn run(program: &str, args: &[String]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `{program}`: {e} (is this a SLURM login node?)"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Submits `script` as a job array of `tasks` tasks; returns the job id.
pub fn sbatch_array(
    script: &Path,
    tasks: usize,
    name: &str,
    log_pattern: &Path,
    extra: &[String],
) -> Result<String, String> {
    let mut args = vec![
        "--parsable".to_string(),
        format!("--job-name={name}"),
        format!("--array=0-{}", tasks.saturating_sub(1)),
        format!("--output={}", log_pattern.display()),
        "--export=ALL".to_string(),
    ];
    args.extend_from_slice(extra);
    args.push(script.display().to_string());
    let out = run("sbatch", &args)?;
    // `--parsable` prints `jobid` or `jobid;cluster`.
    let id = out.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("sbatch printed `{}`, not a job id", out.trim()));
    }
    Ok(id)
}

/// The state of every task of the jobs named `name` that SLURM still lists (pending, running,
/// completing), by task id (`jobid_index`). Finished tasks are not listed.
pub fn squeue_states(name: &str) -> Result<BTreeMap<String, String>, String> {
    let args = vec![
        "--noheader".to_string(),
        "--array".to_string(),
        format!("--name={name}"),
        "--format=%i %T".to_string(),
    ];
    let out = run("squeue", &args)?;
    Ok(out
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        })
        .collect())
}

/// `JobState` and `ExitCode` of one task from `scontrol show job`, while SLURM remembers it.
pub fn scontrol_state(task: &str) -> Option<(String, String)> {
    let out = run("scontrol", &["show".into(), "job".into(), task.into()]).ok()?;
    let field = |k: &str| {
        out.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .map(str::to_string)
    };
    Some((field("JobState=")?, field("ExitCode=").unwrap_or_default()))
}

/// Cancels jobs (best effort).
pub fn scancel(jobs: &[String]) {
    if !jobs.is_empty() {
        let _ = run("scancel", jobs);
    }
}
