//! The scheduler: walks the DAG, serves cache hits at once, and runs the rest on a bounded pool.

use super::events::{Event, EventSink};
use super::slurm::Resources;
use super::spec::StageSpec;
use super::status::{Decision, decide, upstream_of};
use super::worker::{Job, Outcome, bindings};
use super::{Done, StageFailed};
use crate::cache::{RunRecords, Store};
use crate::plan::{InstanceId, Plan};
use crate::source::Sources;
use std::collections::VecDeque;
use std::sync::mpsc;

pub struct RunOptions {
    /// How many stages may run at once.
    pub jobs: usize,
    /// The device class stages that use a device run on (`cpu` or `cuda`).
    pub device: String,
    /// Run stages as SLURM jobs instead of on this machine's cores.
    pub slurm: Option<super::slurm::Slurm>,
}

/// What happened in a run.
#[derive(Default)]
pub struct RunSummary {
    pub ran: Vec<String>,
    pub cached: usize,
    pub elsewhere: usize,
    pub failed: Vec<StageFailed>,
    pub skipped: Vec<String>,
    pub interrupted: bool,
    pub records: RunRecords,
    /// The instances complete after the run (cached or computed), in plan order.
    pub complete: Vec<String>,
}

impl RunSummary {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
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
    let n = plan.instances.len();
    let mut summary = RunSummary {
        records: RunRecords {
            pipeline: plan.pipeline.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    events.event(Event::Begin { total: n });

    let mut waiting_on: Vec<usize> = vec![0; n];
    for edge in plan.graph.edge_indices() {
        if let Some((_, b)) = plan.graph.edge_endpoints(edge) {
            waiting_on[plan.graph[b]] += 1;
        }
    }
    let mut ready: VecDeque<InstanceId> = plan.order.iter().copied().filter(|&i| waiting_on[i] == 0).collect();
    let mut done: Vec<Option<Done>> = vec![None; n];
    let mut blocked = vec![false; n];
    let pool = rayon::ThreadPoolBuilder::new().num_threads(options.jobs.max(1)).build();
    let pool = match pool {
        Ok(p) => p,
        Err(e) => {
            summary
                .failed
                .push(failure(plan, sources, 0, format!("cannot start worker threads: {e}")));
            return summary;
        }
    };
    let (tx, rx) = mpsc::channel::<(InstanceId, Outcome)>();
    let mut in_flight = 0usize;

    pool.in_place_scope(|scope| {
        loop {
            // Serve cache hits inline; hand runs to the pool while there is room.
            while let Some(id) = ready.pop_front() {
                if events.interrupted() {
                    summary.interrupted = true;
                    ready.clear();
                    break;
                }
                let inst = &plan.instances[id];
                let upstream = match upstream_of(plan, id, &done) {
                    Ok(u) => u,
                    Err(_) => continue,
                };
                match decide(
                    plan,
                    id,
                    &upstream,
                    store,
                    previous.instances.get(&inst.name),
                    &options.device,
                ) {
                    Decision::Cached(d, record) => {
                        events.event(Event::Cached { name: &inst.name });
                        summary.cached += 1;
                        summary.records.instances.insert(inst.name.clone(), record);
                        done[id] = Some(d);
                        release(plan, id, &mut waiting_on, &mut ready);
                    }
                    Decision::Fail(message) => {
                        events.event(Event::Fail {
                            name: &inst.name,
                            message: &message,
                        });
                        summary.failed.push(failure(plan, sources, id, message));
                        block_descendants(plan, id, &mut blocked);
                    }
                    Decision::Run {
                        key,
                        key_inputs,
                        reasons,
                    } => {
                        events.event(Event::Start {
                            name: &inst.name,
                            reasons: &reasons,
                        });
                        if let Some(slurm) = &options.slurm {
                            let spec = StageSpec::of(plan, id, &done, &key, &key_inputs, &options.device);
                            let resources = Resources::from_block(&inst.slurm);
                            slurm.enqueue(id, spec, &resources, inst.op.uses_device());
                            in_flight += 1;
                            if in_flight >= options.jobs.max(1) {
                                break;
                            }
                            continue;
                        }
                        let job = Job {
                            plan,
                            id,
                            key,
                            key_inputs,
                            store,
                            events,
                            device: &options.device,
                            bindings: bindings(plan, id, store, &done),
                        };
                        let tx = tx.clone();
                        in_flight += 1;
                        scope.spawn(move |_| {
                            let outcome = job.run();
                            let _ = tx.send((id, outcome));
                        });
                        if in_flight >= options.jobs.max(1) {
                            break;
                        }
                    }
                }
            }
            if let Some(slurm) = &options.slurm {
                slurm.flush(&tx);
            }
            if in_flight == 0 {
                break;
            }
            let received = match &options.slurm {
                None => rx.recv().ok(),
                Some(slurm) => loop {
                    if events.interrupted() {
                        slurm.cancel();
                    }
                    slurm.poll(store, &tx);
                    match rx.recv_timeout(slurm.poll_interval()) {
                        Ok(m) => break Some(m),
                        Err(mpsc::RecvTimeoutError::Timeout) => continue,
                        Err(mpsc::RecvTimeoutError::Disconnected) => break None,
                    }
                },
            };
            let Some((id, outcome)) = received else { break };
            in_flight -= 1;
            let inst = &plan.instances[id];
            let elsewhere = matches!(outcome, Outcome::Elsewhere(..));
            match outcome {
                Outcome::Ran(d, record) | Outcome::Elsewhere(d, record) => {
                    if elsewhere {
                        events.event(Event::ComputedElsewhere { name: &inst.name });
                        summary.elsewhere += 1;
                    } else {
                        events.event(Event::Finish {
                            name: &inst.name,
                            seconds: record.seconds,
                        });
                        summary.ran.push(inst.name.clone());
                    }
                    summary.records.instances.insert(inst.name.clone(), record);
                    done[id] = Some(d);
                    release(plan, id, &mut waiting_on, &mut ready);
                }
                Outcome::Failed(message) => {
                    events.event(Event::Fail {
                        name: &inst.name,
                        message: &message,
                    });
                    summary.failed.push(failure(plan, sources, id, message));
                    block_descendants(plan, id, &mut blocked);
                }
                Outcome::Interrupted => {
                    summary.interrupted = true;
                    ready.clear();
                }
            }
        }
    });

    for &id in &plan.order {
        let inst = &plan.instances[id];
        if done[id].is_some() {
            summary.complete.push(inst.name.clone());
        } else {
            // Keep the previous record so that later explanations still compare against it.
            if let Some(r) = previous.instances.get(&inst.name) {
                summary.records.instances.insert(inst.name.clone(), r.clone());
            }
            if blocked[id] && !summary.failed.iter().any(|f| f.stage == inst.name) {
                events.event(Event::Skip {
                    name: &inst.name,
                    because: "an input failed",
                });
                summary.skipped.push(inst.name.clone());
            }
        }
    }
    summary
}

/// Marks `id` complete for its dependents; those with no remaining inputs become ready.
fn release(plan: &Plan, id: InstanceId, waiting_on: &mut [usize], ready: &mut VecDeque<InstanceId>) {
    let node = petgraph::graph::NodeIndex::new(id);
    for next in plan.graph.neighbors_directed(node, petgraph::Direction::Outgoing) {
        let j = plan.graph[next];
        waiting_on[j] -= 1;
        if waiting_on[j] == 0 {
            ready.push_back(j);
        }
    }
}

fn block_descendants(plan: &Plan, id: InstanceId, blocked: &mut [bool]) {
    let mut dfs = petgraph::visit::Dfs::new(&plan.graph, petgraph::graph::NodeIndex::new(id));
    while let Some(node) = dfs.next(&plan.graph) {
        let j = plan.graph[node];
        if j != id {
            blocked[j] = true;
        }
    }
}

fn failure(plan: &Plan, sources: &Sources, id: InstanceId, message: String) -> StageFailed {
    let (stage, span) = match plan.instances.get(id) {
        Some(inst) => (inst.name.clone(), inst.span),
        None => (
            String::new(),
            crate::source::Span::new(crate::source::SourceId(0), 0, 0),
        ),
    };
    StageFailed {
        stage,
        message,
        src: sources.named(span.source),
        at: span.miette(),
        help: None,
    }
}
