//! Execution: deciding which stage instances are cached, and running the rest in parallel.

mod error;
mod events;
mod executor;
mod keying;
mod local;
mod lookup;
mod recompute;
mod run;
mod scheduler;
pub mod slurm;
mod spec;
mod status;
mod summary;
mod worker;

pub use error::StageFailed;
pub use events::{Event, EventSink, Silent};
pub use keying::compute_key;
pub use recompute::{Prepared, Readiness, prepare, recompute};
pub use run::{RunOptions, run};
pub use spec::{StageSpec, run_spec};
pub use status::{InstanceStatus, State, status};
pub use summary::RunSummary;
pub use worker::Outcome;

/// How a completed instance is known to downstream stages.
#[derive(Debug, Clone)]
pub struct Done {
    pub key: crate::cache::StageKey,
    pub content_hash: String,
    pub outputs: Vec<String>,
}
