//! The local executor: stage instances run on a rayon pool of this machine's threads.

use super::events::EventSink;
use super::executor::{Completion, Executor, NoCompletion, ReadyStage};
use super::worker::{Job, bindings};
use crate::cache::Store;
use crate::plan::Plan;
use std::sync::mpsc;

/// Runs each instance handed over at once on the pool; operators that parallelise internally
/// share that pool. The scheduler bounds how many are in flight.
pub struct Local<'scope, 'env> {
    scope: &'scope rayon::Scope<'env>,
    plan: &'env Plan,
    store: &'env Store,
    events: &'env dyn EventSink,
    device: &'env str,
    tx: mpsc::Sender<Completion>,
    rx: mpsc::Receiver<Completion>,
}

/// Starts a pool of `threads` threads and calls `drive` with a local executor on it; returns once
/// every instance handed over has ended. Fails if the threads cannot be started.
pub fn with_local<R>(
    threads: usize,
    plan: &Plan,
    store: &Store,
    events: &dyn EventSink,
    device: &str,
    drive: impl FnOnce(&mut dyn Executor) -> R,
) -> Result<R, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let (tx, rx) = mpsc::channel();
    Ok(pool.in_place_scope(|scope| {
        let mut local = Local {
            scope,
            plan,
            store,
            events,
            device,
            tx,
            rx,
        };
        drive(&mut local)
    }))
}

impl Executor for Local<'_, '_> {
    fn submit(&mut self, stage: ReadyStage) {
        let id = stage.id;
        let job = Job {
            plan: self.plan,
            id,
            key: stage.key,
            key_inputs: stage.key_inputs,
            store: self.store,
            events: self.events,
            device: self.device,
            bindings: bindings(self.plan, id, self.store, stage.done),
        };
        let tx = self.tx.clone();
        self.scope.spawn(move |_| {
            let outcome = job.run();
            let _ = tx.send((id, outcome));
        });
    }

    fn next(&mut self) -> Result<Completion, NoCompletion> {
        match self.rx.recv() {
            Ok(completion) => Ok(completion),
            Err(_) => Err(NoCompletion::Closed),
        }
    }
}
