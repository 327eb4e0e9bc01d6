//! The executor interface: what the scheduler asks of whatever runs the stage instances it hands over.

use super::Done;
use super::worker::Outcome;
use crate::cache::{KeyInputs, StageKey};
use crate::plan::InstanceId;

/// An instance whose inputs are complete and which must run: the scheduler has keyed it.
pub struct ReadyStage<'a> {
    pub id: InstanceId,
    pub key: StageKey,
    pub key_inputs: KeyInputs,
    /// Every instance's completion so far, for binding this one's inputs.
    pub done: &'a [Option<Done>],
}

/// An instance handed over that has ended, and how.
pub type Completion = (InstanceId, Outcome);

/// Why waiting for the next completion returned without one.
pub enum NoCompletion {
    /// Nothing ended yet: ask again (after checking for an interruption).
    Pending,
    /// No more completions can come.
    Closed,
}

/// Runs the stage instances the scheduler hands it and tells it when each has ended. Every
/// instance submitted ends exactly once through `next`, as run, failed or interrupted.
pub trait Executor {
    /// Takes an instance that must run; it may wait until the next `flush` to start it.
    fn submit(&mut self, stage: ReadyStage);
    /// Starts everything submitted since the last flush (called after each scheduling round).
    fn flush(&mut self) {}
    /// Waits for the next instance to end, or (for an executor that polls) until it is time to
    /// check for an interruption again.
    fn next(&mut self) -> Result<Completion, NoCompletion>;
    /// The user asked to stop: stop what was handed over (instances then end as interrupted).
    /// Called each time the scheduler finds the interruption while it waits.
    fn cancel(&mut self) {}
}
