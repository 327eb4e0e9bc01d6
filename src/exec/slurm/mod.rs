//! The SLURM executor: stage instances that must run are submitted with `sbatch` as job arrays,
//! each task running `rnx worker` on one or more stage specs against the shared cache; rnx
//! follows them with `squeue` (falling back to `scontrol`), submits what becomes ready as stages
//! complete, and cancels its jobs with `scancel` when interrupted.
//!
//! Small stages are packed several to a task; stages that train (use a device) get a task each.
//! Tasks that ask for the same resources share one array, so one scheduling round is one `sbatch`
//! per resource class. A stage's result is whatever its worker committed to the cache: a task
//! that ends without committing its stages fails them, with its job id, state and log tail.

mod commands;
mod executor;
mod resources;

pub use executor::SlurmExecutor;
pub use resources::Resources;

use super::spec::StageSpec;
use super::worker::Outcome;
use crate::cache::{StageKey, Store};
use crate::plan::InstanceId;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::Sender;
use std::time::Duration;

/// How the run talks to the cluster.
#[derive(Debug, Clone)]
pub struct SlurmSettings {
    /// The `rnx` the jobs run (on a shared filesystem, like the cache).
    pub rnx: PathBuf,
    /// Resources of every job, before per-stage overrides.
    pub resources: Resources,
    /// Small stages packed into one array task.
    pub group: usize,
    pub poll: Duration,
}

struct Queued {
    id: InstanceId,
    spec: StageSpec,
    resources: Resources,
    heavy: bool,
}

/// One array task and the instances it runs.
struct Task {
    job: String,
    index: usize,
    instances: Vec<(InstanceId, StageKey, String)>,
    log: PathBuf,
}

#[derive(Default)]
struct State {
    queued: Vec<Queued>,
    tasks: Vec<Task>,
    jobs: Vec<String>,
    batches: usize,
    cancelled: bool,
}

pub struct Slurm {
    settings: SlurmSettings,
    /// Jobs are named after the run, so that `squeue --name` lists exactly this run's.
    name: String,
    dir: PathBuf,
    cache_root: PathBuf,
    state: Mutex<State>,
}

impl Slurm {
    /// A SLURM executor whose job files live under the store (which must be on a shared filesystem).
    pub fn new(settings: SlurmSettings, store: &Store, pipeline: &str) -> Result<Slurm, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("rnx-{pipeline}-{}-{}", std::process::id(), nanos % 1_000_000);
        let dir = store.root().join(crate::cache::FORMAT).join("slurm").join(&name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        Ok(Slurm {
            settings,
            name,
            dir,
            cache_root: store.root().to_path_buf(),
            state: Mutex::new(State::default()),
        })
    }

    /// The name of this run's jobs in `squeue`.
    pub fn job_name(&self) -> &str {
        &self.name
    }

    fn poll_interval(&self) -> Duration {
        self.settings.poll
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds an instance until the next `flush`.
    fn enqueue(&self, id: InstanceId, spec: StageSpec, stage: &Resources, heavy: bool) {
        let resources = self.settings.resources.overridden_by(stage);
        self.state().queued.push(Queued {
            id,
            spec,
            resources,
            heavy,
        });
    }

    /// Submits everything queued; instances that cannot be submitted fail at once through `tx`.
    fn flush(&self, tx: &Sender<(InstanceId, Outcome)>) {
        let mut state = self.state();
        let queued = std::mem::take(&mut state.queued);
        if queued.is_empty() {
            return;
        }
        let mut classes: BTreeMap<Resources, Vec<Vec<Queued>>> = BTreeMap::new();
        for q in queued {
            let groups = classes.entry(q.resources.clone()).or_default();
            let fits = !q.heavy
                && groups
                    .last()
                    .is_some_and(|g| !g[0].heavy && g.len() < self.settings.group.max(1));
            match groups.last_mut() {
                Some(g) if fits => g.push(q),
                _ => groups.push(vec![q]),
            }
        }
        for (resources, groups) in classes {
            state.batches += 1;
            let batch = state.batches;
            match self.submit(batch, &resources, &groups) {
                Ok((job, logs)) => {
                    state.jobs.push(job.clone());
                    for (index, (group, log)) in groups.into_iter().zip(logs).enumerate() {
                        state.tasks.push(Task {
                            job: job.clone(),
                            index,
                            instances: group
                                .into_iter()
                                .filter_map(|q| Some((q.id, StageKey::from_hex(&q.spec.key)?, q.spec.name)))
                                .collect(),
                            log,
                        });
                    }
                }
                Err(message) => {
                    for q in groups.into_iter().flatten() {
                        let _ = tx.send((q.id, Outcome::Failed(message.clone())));
                    }
                }
            }
        }
    }

    /// Writes the specs and the array script of one batch and submits it.
    fn submit(
        &self,
        batch: usize,
        resources: &Resources,
        groups: &[Vec<Queued>],
    ) -> Result<(String, Vec<PathBuf>), String> {
        let write = |path: &PathBuf, text: &str| {
            std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
        };
        let quote = |p: &std::path::Path| format!("'{}'", p.display().to_string().replace('\'', r"'\''"));
        let mut script = format!(
            "#!/bin/sh\n# rnx: batch {batch} of run {}, {} tasks\ncase \"$SLURM_ARRAY_TASK_ID\" in\n",
            self.name,
            groups.len()
        );
        let mut logs = Vec::new();
        for (index, group) in groups.iter().enumerate() {
            let mut line = format!(
                "{index}) exec {} worker --cache-dir {}",
                quote(&self.settings.rnx),
                quote(&self.cache_root)
            );
            for (j, q) in group.iter().enumerate() {
                let spec_path = self.dir.join(format!("b{batch}-t{index}-{j}.json"));
                write(&spec_path, &q.spec.to_json())?;
                line.push(' ');
                line.push_str(&quote(&spec_path));
            }
            script.push_str(&line);
            script.push_str(" ;;\n");
            logs.push(self.dir.join(format!("b{batch}-{index}.log")));
        }
        script.push_str("*) echo \"rnx: no task $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\nesac\n");
        let script_path = self.dir.join(format!("b{batch}.sh"));
        write(&script_path, &script)?;
        let pattern = self.dir.join(format!("b{batch}-%a.log"));
        let job = commands::sbatch_array(
            &script_path,
            groups.len(),
            &self.name,
            &pattern,
            &resources.sbatch_args(),
        )?;
        Ok((job, logs))
    }

    /// Asks SLURM which tasks are still queued or running; for each that has ended, reports its
    /// instances: committed ones as run, the rest as failed (or interrupted, after `cancel`).
    fn poll(&self, store: &Store, tx: &Sender<(InstanceId, Outcome)>) {
        let listed = commands::squeue_states(&self.name).ok();
        let mut state = self.state();
        let cancelled = state.cancelled;
        let mut still = Vec::new();
        for task in std::mem::take(&mut state.tasks) {
            let id = format!("{}_{}", task.job, task.index);
            let running = match &listed {
                Some(l) => l.contains_key(&id),
                // No squeue: ask scontrol about this task.
                None => commands::scontrol_state(&id).is_some_and(|(s, _)| {
                    matches!(
                        s.as_str(),
                        "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING" | "REQUEUED" | "SUSPENDED"
                    )
                }),
            };
            if running {
                still.push(task);
                continue;
            }
            for (inst, key, name) in &task.instances {
                let outcome = match store.lookup(key) {
                    Ok(Some(manifest)) => {
                        let (d, r) = super::lookup::record_of(store, key, &manifest);
                        Outcome::Ran(d, r)
                    }
                    _ if cancelled => Outcome::Interrupted,
                    _ => Outcome::Failed(failure_message(&id, name, &task.log)),
                };
                let _ = tx.send((*inst, outcome));
            }
        }
        state.tasks = still;
    }

    /// Cancels every job this run submitted; their unfinished stages then end as interrupted.
    fn cancel(&self) {
        let mut state = self.state();
        if !state.cancelled {
            state.cancelled = true;
            commands::scancel(&state.jobs);
        }
    }
}

/// A failed task's job id, state and the tail of its log.
fn failure_message(task: &str, stage: &str, log: &std::path::Path) -> String {
    let state = commands::scontrol_state(task)
        .map(|(s, code)| format!("{s}, exit code {code}"))
        .unwrap_or_else(|| "ended".into());
    let tail = std::fs::read_to_string(log)
        .map(|t| {
            let lines: Vec<&str> = t.lines().collect();
            lines[lines.len().saturating_sub(15)..].join("\n    ")
        })
        .unwrap_or_else(|e| format!("(no log at {}: {e})", log.display()));
    format!(
        "SLURM job {task} ({state}) did not commit `{stage}`; log {}:\n    {tail}",
        log.display()
    )
}
