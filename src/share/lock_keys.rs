//! `rnx verify --keys`: whether a lock still describes the pipeline as written, without running
//! anything. Each stage's key is computed from the pipeline and the lock's own record of its
//! inputs' content hashes, and compared with the key the lock records.
//!
//! This is what a change to a pipeline file, to an operator's version or to a default breaks, so a
//! test can hold a committed lock to the code at the cost of planning.

use super::lockfile::Lockfile;
use crate::cache::explain;
use crate::exec::compute_key;
use crate::plan::{Plan, PlannedInput};
use std::collections::{BTreeMap, BTreeSet};

/// What the key check found for one stage instance.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyCheck {
    /// The key the code computes is the one the lock records.
    Same,
    /// It differs; why, as `rnx status` would say it.
    Differs(Vec<String>),
    /// The lock has no record of this instance.
    NotInLock,
    /// An input's stage is missing from the lock, so the key cannot be computed.
    InputNotInLock(Vec<String>),
    /// The key could not be computed (a file a parameter names cannot be read).
    Failed(String),
}

impl KeyCheck {
    pub fn passed(&self) -> bool {
        matches!(self, KeyCheck::Same)
    }
}

/// The key check of every instance of `plan` (in plan order), then one `NotInLock`-like line per
/// stage the lock lists that the pipeline no longer has, as `(name, Differs)`.
pub fn check_lock_keys(plan: &Plan, lock: &Lockfile) -> Vec<(String, KeyCheck)> {
    let mut out = Vec::with_capacity(plan.order.len());
    for &id in &plan.order {
        let inst = &plan.instances[id];
        let Some(locked) = lock.stages.get(&inst.name) else {
            out.push((inst.name.clone(), KeyCheck::NotInLock));
            continue;
        };
        let mut upstream = BTreeMap::new();
        let mut missing = Vec::new();
        for (input, planned) in &inst.inputs {
            let PlannedInput::Stages(ids) = planned else { continue };
            let mut members = Vec::with_capacity(ids.len());
            for &u in ids {
                let name = &plan.instances[u].name;
                match lock.stages.get(name) {
                    Some(s) => members.push((name.clone(), s.content_hash.clone())),
                    None => missing.push(name.clone()),
                }
            }
            upstream.insert(input.clone(), members);
        }
        if !missing.is_empty() {
            out.push((inst.name.clone(), KeyCheck::InputNotInLock(missing)));
            continue;
        }
        let check = match compute_key(inst, &upstream, &locked.key_inputs.device) {
            Err(e) => KeyCheck::Failed(e),
            Ok((key, _)) if key.hex() == locked.key => KeyCheck::Same,
            Ok((_, inputs)) => {
                let reasons: Vec<String> = explain(&locked.key_inputs, &inputs)
                    .iter()
                    .map(|r| r.to_string())
                    .collect();
                KeyCheck::Differs(if reasons.is_empty() {
                    vec!["the key encoding changed".into()]
                } else {
                    reasons
                })
            }
        };
        out.push((inst.name.clone(), check));
    }
    let planned: BTreeSet<&String> = plan.instances.iter().map(|i| &i.name).collect();
    for name in lock.stages.keys().filter(|n| !planned.contains(n)) {
        out.push((
            name.clone(),
            KeyCheck::Differs(vec!["the lock lists it; the pipeline no longer has it".into()]),
        ));
    }
    out
}
