//! The SLURM executor behind the scheduler's interface: specs queued per round, submitted on flush,
//! and completions found by polling the queue.

use super::{Resources, Slurm};
use crate::cache::Store;
use crate::exec::executor::{Completion, Executor, NoCompletion, ReadyStage};
use crate::exec::spec::StageSpec;
use crate::plan::Plan;
use std::sync::mpsc;

/// Drives a `Slurm` for one run: what it reports (submission failures, ended tasks) arrives on a
/// channel that `next` reads between polls.
pub struct SlurmExecutor<'a> {
    slurm: &'a Slurm,
    plan: &'a Plan,
    store: &'a Store,
    device: &'a str,
    tx: mpsc::Sender<Completion>,
    rx: mpsc::Receiver<Completion>,
}

impl<'a> SlurmExecutor<'a> {
    pub fn new(slurm: &'a Slurm, plan: &'a Plan, store: &'a Store, device: &'a str) -> Self {
        let (tx, rx) = mpsc::channel();
        SlurmExecutor {
            slurm,
            plan,
            store,
            device,
            tx,
            rx,
        }
    }
}

impl Executor for SlurmExecutor<'_> {
    fn submit(&mut self, stage: ReadyStage) {
        let inst = &self.plan.instances[stage.id];
        let spec = StageSpec::of(
            self.plan,
            stage.id,
            stage.done,
            &stage.key,
            &stage.key_inputs,
            self.device,
        );
        let resources = Resources::from_block(&inst.slurm);
        self.slurm.enqueue(stage.id, spec, &resources, inst.op.uses_device());
    }

    fn flush(&mut self) {
        self.slurm.flush(&self.tx);
    }

    /// Polls the queue, then waits up to the poll interval for what that (or a failed
    /// submission) reported.
    fn next(&mut self) -> Result<Completion, NoCompletion> {
        self.slurm.poll(self.store, &self.tx);
        match self.rx.recv_timeout(self.slurm.poll_interval()) {
            Ok(completion) => Ok(completion),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(NoCompletion::Pending),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(NoCompletion::Closed),
        }
    }

    fn cancel(&mut self) {
        self.slurm.cancel();
    }
}
