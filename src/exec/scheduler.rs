//! The scheduler: walks the DAG, serves cache hits at once, and hands the rest to an executor,
//! never more than `jobs` in flight.

use super::events::{Event, EventSink};
use super::executor::{Executor, NoCompletion, ReadyStage};
use super::status::{Decision, decide, upstream_of};
use super::worker::Outcome;
use super::{Done, RunSummary, StageFailed};
use crate::cache::{RunRecords, Store};
use crate::plan::{InstanceId, Plan};
use crate::source::Sources;
use std::collections::VecDeque;

/// What the scheduler reads while it runs a plan.
pub struct Context<'a> {
    pub plan: &'a Plan,
    pub sources: &'a Sources,
    pub store: &'a Store,
    pub previous: &'a RunRecords,
    /// How many instances may be in flight at once.
    pub jobs: usize,
    pub device: &'a str,
    pub events: &'a dyn EventSink,
}

/// The DAG walk's state: which instances wait on how many inputs, which are ready, done or blocked.
struct Walk {
    waiting_on: Vec<usize>,
    ready: VecDeque<InstanceId>,
    done: Vec<Option<Done>>,
    blocked: Vec<bool>,
    in_flight: usize,
}

/// Runs every instance of the plan that is not cached on `executor`, recording into `summary`.
/// A failure stops the failed instance's descendants, not its siblings.
pub fn schedule(cx: &Context, executor: &mut dyn Executor, summary: &mut RunSummary) {
    let plan = cx.plan;
    let n = plan.instances.len();
    let mut waiting_on: Vec<usize> = vec![0; n];
    for edge in plan.graph.edge_indices() {
        if let Some((_, b)) = plan.graph.edge_endpoints(edge) {
            waiting_on[plan.graph[b]] += 1;
        }
    }
    let ready = plan.order.iter().copied().filter(|&i| waiting_on[i] == 0).collect();
    let mut walk = Walk {
        waiting_on,
        ready,
        done: vec![None; n],
        blocked: vec![false; n],
        in_flight: 0,
    };
    loop {
        walk.dispatch(cx, executor, summary);
        executor.flush();
        if walk.in_flight == 0 {
            break;
        }
        let received = loop {
            if cx.events.interrupted() {
                executor.cancel();
            }
            match executor.next() {
                Ok(completion) => break Some(completion),
                Err(NoCompletion::Pending) => continue,
                Err(NoCompletion::Closed) => break None,
            }
        };
        let Some((id, outcome)) = received else { break };
        walk.in_flight -= 1;
        walk.complete(cx, id, outcome, summary);
    }
    walk.finish(cx, summary);
}

impl Walk {
    /// Serves cache hits inline and hands runs to the executor while there is room.
    fn dispatch(&mut self, cx: &Context, executor: &mut dyn Executor, summary: &mut RunSummary) {
        let plan = cx.plan;
        while let Some(id) = self.ready.pop_front() {
            if cx.events.interrupted() {
                summary.interrupted = true;
                self.ready.clear();
                break;
            }
            let inst = &plan.instances[id];
            let upstream = match upstream_of(plan, id, &self.done) {
                Ok(u) => u,
                Err(_) => continue,
            };
            let previous = cx.previous.instances.get(&inst.name);
            match decide(plan, id, &upstream, cx.store, previous, cx.device) {
                Decision::Cached(d, record) => {
                    cx.events.event(Event::Cached { name: &inst.name });
                    summary.cached += 1;
                    summary.records.instances.insert(inst.name.clone(), record);
                    self.done[id] = Some(d);
                    self.release(plan, id);
                }
                Decision::Fail(message) => self.fail(cx, id, message, summary),
                Decision::Run {
                    key,
                    key_inputs,
                    reasons,
                } => {
                    cx.events.event(Event::Start {
                        name: &inst.name,
                        reasons: &reasons,
                    });
                    executor.submit(ReadyStage {
                        id,
                        key,
                        key_inputs,
                        done: &self.done,
                    });
                    self.in_flight += 1;
                    if self.in_flight >= cx.jobs.max(1) {
                        break;
                    }
                }
            }
        }
    }

    /// Takes in how an instance handed to the executor ended.
    fn complete(&mut self, cx: &Context, id: InstanceId, outcome: Outcome, summary: &mut RunSummary) {
        let inst = &cx.plan.instances[id];
        match outcome {
            Outcome::Ran(d, record) => {
                cx.events.event(Event::Finish {
                    name: &inst.name,
                    seconds: record.seconds,
                });
                summary.ran.push(inst.name.clone());
                summary.records.instances.insert(inst.name.clone(), record);
                self.done[id] = Some(d);
                self.release(cx.plan, id);
            }
            Outcome::Elsewhere(d, record) => {
                cx.events.event(Event::ComputedElsewhere { name: &inst.name });
                summary.elsewhere += 1;
                summary.records.instances.insert(inst.name.clone(), record);
                self.done[id] = Some(d);
                self.release(cx.plan, id);
            }
            Outcome::Failed(message) => self.fail(cx, id, message, summary),
            Outcome::Interrupted => {
                summary.interrupted = true;
                self.ready.clear();
            }
        }
    }

    /// Records a failed instance and blocks its descendants.
    fn fail(&mut self, cx: &Context, id: InstanceId, message: String, summary: &mut RunSummary) {
        cx.events.event(Event::Fail {
            name: &cx.plan.instances[id].name,
            message: &message,
        });
        summary.failed.push(StageFailed::of(cx.plan, cx.sources, id, message));
        let mut dfs = petgraph::visit::Dfs::new(&cx.plan.graph, petgraph::graph::NodeIndex::new(id));
        while let Some(node) = dfs.next(&cx.plan.graph) {
            let j = cx.plan.graph[node];
            if j != id {
                self.blocked[j] = true;
            }
        }
    }

    /// Marks `id` complete for its dependents; those with no remaining inputs become ready.
    fn release(&mut self, plan: &Plan, id: InstanceId) {
        let node = petgraph::graph::NodeIndex::new(id);
        for next in plan.graph.neighbors_directed(node, petgraph::Direction::Outgoing) {
            let j = plan.graph[next];
            self.waiting_on[j] -= 1;
            if self.waiting_on[j] == 0 {
                self.ready.push_back(j);
            }
        }
    }

    /// Lists what completed, keeps the previous records of what did not, and reports the skipped.
    fn finish(&self, cx: &Context, summary: &mut RunSummary) {
        for &id in &cx.plan.order {
            let inst = &cx.plan.instances[id];
            if self.done[id].is_some() {
                summary.complete.push(inst.name.clone());
            } else {
                // Keep the previous record so that later explanations still compare against it.
                if let Some(r) = cx.previous.instances.get(&inst.name) {
                    summary.records.instances.insert(inst.name.clone(), r.clone());
                }
                if self.blocked[id] && !summary.failed.iter().any(|f| f.stage == inst.name) {
                    cx.events.event(Event::Skip {
                        name: &inst.name,
                        because: "an input failed",
                    });
                    summary.skipped.push(inst.name.clone());
                }
            }
        }
    }
}
