//! Deciding, for each stage instance, whether it is cached and if not, why.

use super::{Done, compute_key, lookup};
use crate::cache::{KeyInputs, Reason, RunRecord, RunRecords, StageKey, Store, explain};
use crate::plan::{InstanceId, Plan, PlannedInput};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Its output for the current key is in the cache.
    Cached,
    /// It ran before, with a different key (or its entry is gone): it will run.
    Stale,
    /// It never ran: it will run.
    Missing,
}

/// One instance's state, as `rnx status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceStatus {
    pub name: String,
    pub stage: String,
    pub coords: BTreeMap<String, String>,
    /// Unknown while an input must rerun first.
    pub key: Option<String>,
    pub state: State,
    pub reasons: Vec<Reason>,
}

/// What to do with an instance whose inputs are all complete.
pub enum Decision {
    Cached(Done, RunRecord),
    Run {
        key: StageKey,
        key_inputs: KeyInputs,
        reasons: Vec<Reason>,
    },
    /// The key cannot be computed (an unreadable file).
    Fail(String),
}

/// Per stage input, the upstream instances' names and content hashes.
pub type Upstream = BTreeMap<String, Vec<(String, String)>>;

/// The content hashes of an instance's stage inputs, or the inputs still pending.
pub fn upstream_of(plan: &Plan, id: InstanceId, done: &[Option<Done>]) -> Result<Upstream, Vec<Reason>> {
    let mut upstream = BTreeMap::new();
    let mut pending = Vec::new();
    for (name, input) in &plan.instances[id].inputs {
        if let PlannedInput::Stages(ids) = input {
            let mut members = Vec::new();
            let mut waiting = Vec::new();
            for &u in ids {
                match &done[u] {
                    Some(d) => members.push((plan.instances[u].name.clone(), d.content_hash.clone())),
                    None => waiting.push(plan.instances[u].name.clone()),
                }
            }
            if waiting.is_empty() {
                upstream.insert(name.clone(), members);
            } else {
                pending.push(Reason::InputPending {
                    input: name.clone(),
                    stages: waiting,
                });
            }
        }
    }
    if pending.is_empty() { Ok(upstream) } else { Err(pending) }
}

/// Decides an instance whose inputs are complete.
pub fn decide(
    plan: &Plan,
    id: InstanceId,
    upstream: &Upstream,
    store: &Store,
    record: Option<&RunRecord>,
    device: &str,
) -> Decision {
    let inst = &plan.instances[id];
    let (key, key_inputs) = match compute_key(inst, upstream, device) {
        Ok(k) => k,
        Err(message) => return Decision::Fail(message),
    };
    let reasons = match lookup::find(store, &key, record) {
        Ok(Some((done, rec))) => return Decision::Cached(done, rec),
        Ok(None) => match record {
            None => vec![Reason::NeverRun],
            Some(r) if r.key == key.hex() => vec![Reason::EntryMissing],
            Some(r) => explain(&r.key_inputs, &key_inputs),
        },
        Err(e) => vec![Reason::EntryCorrupt { reason: e.to_string() }],
    };
    Decision::Run {
        key,
        key_inputs,
        reasons,
    }
}

/// The state of every instance, without running anything.
pub fn status(plan: &Plan, store: &Store, records: &RunRecords, device: &str) -> Vec<InstanceStatus> {
    let mut done: Vec<Option<Done>> = vec![None; plan.instances.len()];
    let mut out = Vec::with_capacity(plan.instances.len());
    for &id in &plan.order {
        let inst = &plan.instances[id];
        let record = records.instances.get(&inst.name);
        let (key, state, reasons) = match upstream_of(plan, id, &done) {
            Err(pending) => {
                let state = if record.is_some() { State::Stale } else { State::Missing };
                (None, state, pending)
            }
            Ok(upstream) => match decide(plan, id, &upstream, store, record, device) {
                Decision::Cached(d, _) => {
                    let key = d.key.hex();
                    done[id] = Some(d);
                    (Some(key), State::Cached, Vec::new())
                }
                Decision::Run { key, reasons, .. } => {
                    let state = if record.is_some() { State::Stale } else { State::Missing };
                    (Some(key.hex()), state, reasons)
                }
                Decision::Fail(message) => {
                    let state = if record.is_some() { State::Stale } else { State::Missing };
                    (None, state, vec![Reason::Unreadable { message }])
                }
            },
        };
        out.push(InstanceStatus {
            name: inst.name.clone(),
            stage: inst.decl_name.clone(),
            coords: inst.coords.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
            key,
            state,
            reasons,
        });
    }
    out
}
