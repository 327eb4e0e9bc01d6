//! Running one stage instance: lock its key, run its operator into a staging folder, commit.

use super::events::{Event, EventSink};
use super::{Done, lookup};
use crate::cache::{EntryLock, KeyInputs, RunRecord, StageKey, Staging, Store};
use crate::ops::{InputBinding, OpError, ProgressSink, StageContext, StageOutput};
use crate::plan::{InstanceId, Plan, PlannedInput};
use std::collections::BTreeMap;
use std::time::Instant;

/// How a stage run ended.
#[derive(Debug)]
pub enum Outcome {
    Ran(Done, RunRecord),
    /// Another process committed the entry while this one waited for the lock.
    Elsewhere(Done, RunRecord),
    Failed(String),
    Interrupted,
}

/// Adapts the event sink to an operator's progress calls.
struct StageProgress<'a> {
    events: &'a dyn EventSink,
    name: &'a str,
}

impl ProgressSink for StageProgress<'_> {
    fn progress(&self, done: u64, total: u64, message: &str) {
        self.events.event(Event::Progress {
            name: self.name,
            done,
            total,
            message,
        });
    }
    fn interrupted(&self) -> bool {
        self.events.interrupted()
    }
}

pub struct Job<'a> {
    pub plan: &'a Plan,
    pub id: InstanceId,
    pub key: StageKey,
    pub key_inputs: KeyInputs,
    pub store: &'a Store,
    pub events: &'a dyn EventSink,
    /// The device class (`cpu` or `cuda`) stages that use a device run on.
    pub device: &'a str,
    /// The operator's inputs, bound before the job is handed to a worker thread.
    pub bindings: BTreeMap<String, InputBinding>,
}

impl Job<'_> {
    pub fn run(self) -> Outcome {
        match self.run_inner() {
            Ok(outcome) => outcome,
            Err(OpError::Interrupted) => Outcome::Interrupted,
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    fn run_inner(&self) -> Result<Outcome, OpError> {
        let inst = &self.plan.instances[self.id];
        let cache_err = |e: crate::cache::CacheError| OpError::internal(e.to_string());
        let _lock = EntryLock::acquire(self.store, &self.key).map_err(cache_err)?;
        if let Ok(Some(manifest)) = self.store.lookup(&self.key) {
            let (d, r) = lookup::record_of(self.store, &self.key, &manifest);
            return Ok(Outcome::Elsewhere(d, r));
        }
        let staging = Staging::new(self.store, self.key).map_err(cache_err)?;
        let started = Instant::now();
        let written = execute_into(
            self.plan,
            self.id,
            &self.bindings,
            self.device,
            staging.dir(),
            self.events,
        )?;
        let seconds = started.elapsed().as_secs_f64();
        let manifest = staging
            .commit(
                self.store,
                &inst.name,
                &self.key_inputs,
                &written.0,
                &written.1,
                seconds,
            )
            .map_err(cache_err)?;
        let (d, r) = lookup::record_of(self.store, &self.key, &manifest);
        Ok(Outcome::Ran(d, r))
    }
}

/// Runs an instance's operator into `dir`, catching a panic as an internal error. Returns the
/// files it wrote and which of them are volatile. Commits nothing.
pub fn execute_into(
    plan: &Plan,
    id: InstanceId,
    bindings: &BTreeMap<String, InputBinding>,
    device: &str,
    dir: &std::path::Path,
    events: &dyn EventSink,
) -> Result<(Vec<String>, Vec<String>), OpError> {
    let inst = &plan.instances[id];
    let progress = StageProgress {
        events,
        name: &inst.name,
    };
    let mut ctx = StageContext::new(
        &inst.name,
        &inst.params,
        inst.seed,
        &inst.coords,
        bindings,
        dir,
        &progress,
    )
    .on_device(if inst.op.uses_device() { device } else { "cpu" });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inst.op.run(&mut ctx)));
    match result {
        Ok(Ok(())) => {
            if std::env::var_os(CHECK_WRITES_ENV).is_some() {
                undeclared_tables(inst, ctx.written())?;
            }
            Ok((ctx.written().to_vec(), ctx.volatile().to_vec()))
        }
        Ok(Err(e)) => Err(e),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(OpError::internal(format!("operator panicked: {what}")))
        }
    }
}

/// Set (by the test suite) to make a stage that writes a table its operator's `writes` does not
/// declare fail: the check before running trusts those declarations.
pub const CHECK_WRITES_ENV: &str = "RNX_CHECK_WRITES";

/// An internal error naming the tables written that `writes` left out.
fn undeclared_tables(inst: &crate::plan::Instance, written: &[String]) -> Result<(), OpError> {
    let reader = crate::table::FileSchemaReader::default();
    let Ok(crate::ops::shapes::Writes::Known { tables, .. }) = inst.op.writes(&inst.params, &reader) else {
        return Ok(());
    };
    let undeclared: Vec<&str> = written
        .iter()
        .filter_map(|f| f.strip_suffix(".parquet"))
        .filter(|t| !tables.iter().any(|d| d.name == *t))
        .collect();
    if undeclared.is_empty() {
        return Ok(());
    }
    Err(OpError::internal(format!(
        "`{}` wrote tables its operator does not declare: {}",
        inst.op.schema().name,
        undeclared.join(", ")
    )))
}

/// Binds each input of `id` to its definition or to its upstream instances' committed folders.
pub fn bindings(plan: &Plan, id: InstanceId, store: &Store, done: &[Option<Done>]) -> BTreeMap<String, InputBinding> {
    let inst = &plan.instances[id];
    let mut out = BTreeMap::new();
    for (name, input) in &inst.inputs {
        let binding = match input {
            PlannedInput::Definition(def) => InputBinding::Definition(def.clone()),
            PlannedInput::Stages(ids) => InputBinding::Stages(
                ids.iter()
                    .filter_map(|&u| {
                        let d = done[u].as_ref()?;
                        let up = &plan.instances[u];
                        Some(StageOutput {
                            stage: up.name.clone(),
                            coords: up.coords.clone(),
                            dir: store.entry_dir(&d.key),
                            files: d.outputs.clone(),
                        })
                    })
                    .collect(),
            ),
        };
        out.insert(name.clone(), binding);
    }
    out
}
