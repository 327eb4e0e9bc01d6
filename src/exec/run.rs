//! Running a plan: picks the executor the options ask for and lets the scheduler drive it.

use super::events::{Event, EventSink};
use super::local::with_local;
use super::scheduler::{Context, schedule};
use super::slurm::SlurmExecutor;
use super::{RunSummary, StageFailed};
use crate::cache::{RunRecords, Store};
use crate::plan::Plan;
use crate::source::Sources;

pub struct RunOptions {
    /// How many stages may run at once.
    pub jobs: usize,
    /// The device class stages that use a device run on (`cpu` or `cuda`).
    pub device: String,
    /// Run stages as SLURM jobs instead of on this machine's cores.
    pub slurm: Option<super::slurm::Slurm>,
}

/// Runs every instance of `plan` that is not cached. Independent instances run in parallel.
/// A failure stops the failed instance's descendants, not its siblings.
pub fn run(
    plan: &Plan,
    sources: &Sources,
    store: &Store,
    previous: &RunRecords,
    options: &RunOptions,
    events: &dyn EventSink,
) -> RunSummary {
    let mut summary = RunSummary {
        records: RunRecords {
            pipeline: plan.pipeline.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    events.event(Event::Begin {
        total: plan.instances.len(),
    });
    let cx = Context {
        plan,
        sources,
        store,
        previous,
        jobs: options.jobs,
        device: &options.device,
        events,
    };
    match &options.slurm {
        Some(slurm) => {
            let mut executor = SlurmExecutor::new(slurm, plan, store, &options.device);
            schedule(&cx, &mut executor, &mut summary);
        }
        None => {
            let ran = with_local(options.jobs, plan, store, events, &options.device, |executor| {
                schedule(&cx, executor, &mut summary)
            });
            if let Err(message) = ran {
                summary.failed.push(StageFailed::of(plan, sources, 0, message));
            }
        }
    }
    summary
}
