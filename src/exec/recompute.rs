//! Preparing stage instances to be recomputed from their cached inputs, without committing the
//! result (what `rnx verify` does).

use super::status::{Decision, decide, upstream_of};
use super::worker::bindings;
use super::{Done, EventSink};
use crate::cache::{KeyInputs, StageKey, Store};
use crate::ops::{InputBinding, OpError};
use crate::plan::{InstanceId, Plan};
use std::collections::BTreeMap;
use std::path::Path;

/// An instance whose inputs are all in the cache: its current key and bound inputs.
pub struct Prepared {
    pub id: InstanceId,
    pub key: StageKey,
    pub key_inputs: KeyInputs,
    /// Whether the cache holds an entry for the key.
    pub cached: bool,
    pub bindings: BTreeMap<String, InputBinding>,
}

/// Whether an instance can be recomputed now.
pub enum Readiness {
    Ready(Box<Prepared>),
    /// Why not: an input is not in the cache, or a file its key needs cannot be read.
    Blocked(String),
}

/// Keys every instance against the cache, in dependency order, and prepares the `selected` ones.
pub fn prepare(plan: &Plan, store: &Store, device: &str, selected: &[InstanceId]) -> Vec<(InstanceId, Readiness)> {
    let mut done: Vec<Option<Done>> = vec![None; plan.instances.len()];
    let mut wanted = vec![false; plan.instances.len()];
    for &id in selected {
        wanted[id] = true;
    }
    let mut out = Vec::new();
    for &id in &plan.order {
        let readiness = match upstream_of(plan, id, &done) {
            Err(pending) => Readiness::Blocked(
                pending
                    .iter()
                    .map(|r| match r {
                        crate::cache::Reason::InputPending { input, stages } => {
                            format!("its input `{input}` is not in the cache ({})", stages.join(", "))
                        }
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Ok(upstream) => match decide(plan, id, &upstream, store, None, device) {
                Decision::Cached(d, record) => {
                    let key = d.key;
                    done[id] = Some(d);
                    // The entry's key equals the current one, so its recorded inputs are this key's.
                    Readiness::Ready(Box::new(Prepared {
                        id,
                        key,
                        key_inputs: record.key_inputs,
                        cached: true,
                        bindings: BTreeMap::new(),
                    }))
                }
                Decision::Run { key, key_inputs, .. } => Readiness::Ready(Box::new(Prepared {
                    id,
                    key,
                    key_inputs,
                    cached: false,
                    bindings: BTreeMap::new(),
                })),
                Decision::Fail(message) => Readiness::Blocked(message),
            },
        };
        if wanted[id] {
            let readiness = match readiness {
                Readiness::Ready(mut p) => {
                    p.bindings = bindings(plan, id, store, &done);
                    Readiness::Ready(p)
                }
                blocked => blocked,
            };
            out.push((id, readiness));
        }
    }
    out.retain(|(id, _)| wanted[*id]);
    out
}

/// Runs a prepared instance's operator into `dir`; returns the files written and the volatile ones.
pub fn recompute(
    plan: &Plan,
    prepared: &Prepared,
    device: &str,
    dir: &Path,
    events: &dyn EventSink,
) -> Result<(Vec<String>, Vec<String>), OpError> {
    super::worker::execute_into(plan, prepared.id, &prepared.bindings, device, dir, events)
}
