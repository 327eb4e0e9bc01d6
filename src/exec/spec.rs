//! A stage instance as a file: everything a worker process (`rnx worker`, on a cluster node)
//! needs to run it without parsing or planning the pipeline.
//!
//! The spec carries the instance's resolved parameters, definitions, seed, device class and its
//! upstream entries' keys and content hashes. The worker recomputes the cache key from these and
//! refuses to run if it differs from the key the scheduler computed, so a spec that did not
//! survive serialisation exactly can never commit under the wrong key.

use super::worker::{Job, Outcome};
use super::{Done, EventSink, compute_key};
use crate::cache::{KeyInputs, StageKey, Store};
use crate::ops::{Definition, InputBinding, Operator, StageOutput, registry};
use crate::params::Params;
use crate::plan::{Instance, InstanceId, Plan, PlannedInput};
use crate::schema::DeclKind;
use crate::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageSpec {
    pub pipeline: String,
    pub name: String,
    pub decl_name: String,
    pub kind: DeclKind,
    pub op: String,
    pub params: Params,
    pub coords: Vec<(String, Value)>,
    pub seed: u64,
    pub inputs: BTreeMap<String, SpecInput>,
    /// The device class of the run (stages that use no device run on the CPU regardless).
    pub device: String,
    pub key: String,
    pub key_inputs: KeyInputs,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SpecInput {
    Definition(Definition),
    Stages(Vec<SpecUpstream>),
}

/// A committed upstream entry the stage reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpecUpstream {
    pub stage: String,
    pub coords: Vec<(String, Value)>,
    pub key: String,
    pub content_hash: String,
    pub files: Vec<String>,
}

impl StageSpec {
    /// The spec of instance `id`, whose inputs are complete in `done`, keyed `key`.
    pub fn of(
        plan: &Plan,
        id: InstanceId,
        done: &[Option<Done>],
        key: &StageKey,
        key_inputs: &KeyInputs,
        device: &str,
    ) -> StageSpec {
        let inst = &plan.instances[id];
        let inputs = inst
            .inputs
            .iter()
            .map(|(name, input)| {
                let spec = match input {
                    PlannedInput::Definition(def) => SpecInput::Definition(def.clone()),
                    PlannedInput::Stages(ids) => SpecInput::Stages(
                        ids.iter()
                            .filter_map(|&u| {
                                let d = done[u].as_ref()?;
                                Some(SpecUpstream {
                                    stage: plan.instances[u].name.clone(),
                                    coords: plan.instances[u].coords.clone(),
                                    key: d.key.hex(),
                                    content_hash: d.content_hash.clone(),
                                    files: d.outputs.clone(),
                                })
                            })
                            .collect(),
                    ),
                };
                (name.clone(), spec)
            })
            .collect();
        StageSpec {
            pipeline: plan.pipeline.clone(),
            name: inst.name.clone(),
            decl_name: inst.decl_name.clone(),
            kind: inst.kind,
            op: inst.op.schema().name.to_string(),
            params: inst.params.clone(),
            coords: inst.coords.clone(),
            seed: inst.seed,
            inputs,
            device: device.to_string(),
            key: key.hex(),
            key_inputs: key_inputs.clone(),
        }
    }

    pub fn read(path: &Path) -> Result<StageSpec, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("`{}` is not a stage spec: {e}", path.display()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Runs a spec against `store`: checks its key and inputs, then runs and commits it as the local
/// worker would (under the key's lock; an entry another process committed meanwhile is reused).
pub fn run_spec(spec: &StageSpec, store: &Store, events: &dyn EventSink) -> Outcome {
    let op = match registry::lookup(&spec.op) {
        Some(Operator::Stage(op)) => op,
        _ => return Outcome::Failed(format!("this rnx has no stage operator `{}`", spec.op)),
    };
    let mut upstream = BTreeMap::new();
    let mut bindings = BTreeMap::new();
    let mut inputs = BTreeMap::new();
    for (name, input) in &spec.inputs {
        match input {
            SpecInput::Definition(def) => {
                inputs.insert(name.clone(), PlannedInput::Definition(def.clone()));
                bindings.insert(name.clone(), InputBinding::Definition(def.clone()));
            }
            SpecInput::Stages(members) => {
                let mut outputs = Vec::new();
                for m in members {
                    let Some(key) = StageKey::from_hex(&m.key) else {
                        return Outcome::Failed(format!("malformed key for input `{name}`"));
                    };
                    match store.lookup(&key) {
                        Ok(Some(manifest)) if manifest.content_hash == m.content_hash => {}
                        _ => {
                            return Outcome::Failed(format!(
                                "input `{name}` ({}) is not in the cache at {}: is the cache folder shared with this node?",
                                m.stage,
                                store.root().display()
                            ));
                        }
                    }
                    outputs.push(StageOutput {
                        stage: m.stage.clone(),
                        coords: m.coords.clone(),
                        dir: store.entry_dir(&key),
                        files: m.files.clone(),
                    });
                }
                upstream.insert(
                    name.clone(),
                    members
                        .iter()
                        .map(|m| (m.stage.clone(), m.content_hash.clone()))
                        .collect(),
                );
                inputs.insert(name.clone(), PlannedInput::Stages(Vec::new()));
                bindings.insert(name.clone(), InputBinding::Stages(outputs));
            }
        }
    }
    let instance = Instance {
        name: spec.name.clone(),
        decl_name: spec.decl_name.clone(),
        kind: spec.kind,
        op,
        coords: spec.coords.clone(),
        params: spec.params.clone(),
        inputs,
        seed: spec.seed,
        span: crate::source::Span::new(crate::source::SourceId(0), 0, 0),
        slurm: BTreeMap::new(),
    };
    let (key, key_inputs) = match compute_key(&instance, &upstream, &spec.device) {
        Ok(k) => k,
        Err(e) => return Outcome::Failed(e),
    };
    if key.hex() != spec.key {
        return Outcome::Failed(format!(
            "the spec of `{}` does not reproduce its cache key (another rnx version?); nothing was run",
            spec.name
        ));
    }
    let mut graph = petgraph::graph::DiGraph::new();
    graph.add_node(0);
    let plan = Plan {
        pipeline: spec.pipeline.clone(),
        instances: vec![instance],
        graph,
        order: vec![0],
    };
    Job {
        plan: &plan,
        id: 0,
        key,
        key_inputs,
        store,
        events,
        device: &spec.device,
        bindings,
    }
    .run()
}
