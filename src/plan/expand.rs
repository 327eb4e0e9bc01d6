//! Sweep expansion: one instance per combination of a stage's coordinates.

use super::{Instance, InstanceId, Plan, PlannedInput};
use crate::check::{CheckedDecl, DeclId, Pipeline, Slot};
use crate::ops::{Definition, Operator};
use crate::params::Params;
use crate::value::Value;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, HashMap};

/// A value index for each coordinate a declaration varies over.
type Assignment = BTreeMap<usize, usize>;

/// Expands a checked pipeline into its stage instances.
pub fn plan(pipeline: &Pipeline) -> Plan {
    let mut instances: Vec<Instance> = Vec::new();
    // Per declaration: the instance for each assignment of its coordinates (in coordinate-id order).
    let mut by_decl: HashMap<DeclId, HashMap<Vec<usize>, InstanceId>> = HashMap::new();
    let mut graph = DiGraph::new();
    let mut nodes: Vec<NodeIndex> = Vec::new();

    for &d in &pipeline.order {
        let decl = &pipeline.decls[d];
        let Some(Operator::Stage(op)) = decl.op else { continue };
        let coords: Vec<usize> = sorted_by_name(pipeline, decl);
        let mut table = HashMap::new();
        for assignment in assignments(pipeline, &coords) {
            let mut inputs = BTreeMap::new();
            let mut edges = Vec::new();
            for (input_name, input) in &decl.inputs {
                let target = &pipeline.decls[input.target];
                let bound = if target.kind.is_stage() {
                    let ids = stage_members(pipeline, input, target, &assignment, &by_decl);
                    edges.extend(ids.iter().copied());
                    PlannedInput::Stages(ids)
                } else {
                    PlannedInput::Definition(definition(pipeline, input.target, &restrict(input, &assignment)))
                };
                // Members of a reference list (`name#k`) join one input, in list order.
                match (crate::check::list_member_of(input_name), bound) {
                    (Some(base), PlannedInput::Stages(ids)) => match inputs.entry(base.to_string()) {
                        std::collections::btree_map::Entry::Occupied(mut e) => {
                            if let PlannedInput::Stages(existing) = e.get_mut() {
                                existing.extend(ids);
                            }
                        }
                        std::collections::btree_map::Entry::Vacant(e) => {
                            e.insert(PlannedInput::Stages(ids));
                        }
                    },
                    (_, bound) => {
                        inputs.insert(input_name.clone(), bound);
                    }
                }
            }
            let mut params = params_for(pipeline, &decl.params, &assignment);
            let slurm = match params.take("slurm") {
                Some(Value::Block(b)) => b,
                _ => Default::default(),
            };
            let coord_values: Vec<(String, Value)> = coords
                .iter()
                .map(|&c| {
                    (
                        pipeline.coordinates[c].name.clone(),
                        pipeline.coordinates[c].values[assignment[&c]].clone(),
                    )
                })
                .collect();
            let seed = derive_seed(pipeline.seed, &decl.name, params.get("seed"));
            let id = instances.len();
            instances.push(Instance {
                name: instance_name(&decl.name, &coord_values),
                decl_name: decl.name.clone(),
                kind: decl.kind,
                op,
                coords: coord_values,
                params,
                inputs,
                seed,
                span: decl.span,
                slurm,
            });
            let node = graph.add_node(id);
            nodes.push(node);
            edges.sort_unstable();
            edges.dedup();
            for e in edges {
                graph.add_edge(nodes[e], node, ());
            }
            let key: Vec<usize> = assignment.values().copied().collect();
            table.insert(key, id);
        }
        by_decl.insert(d, table);
    }
    // Instances were created in dependency order, so creation order is a valid order.
    let order = (0..instances.len()).collect();
    Plan {
        pipeline: pipeline.name.clone(),
        instances,
        graph,
        order,
    }
}

/// A declaration's coordinates, ordered by name (then id) for stable instance names.
fn sorted_by_name(pipeline: &Pipeline, decl: &CheckedDecl) -> Vec<usize> {
    let mut coords: Vec<usize> = decl.coords.iter().copied().collect();
    coords.sort_by(|a, b| {
        pipeline.coordinates[*a]
            .name
            .cmp(&pipeline.coordinates[*b].name)
            .then(a.cmp(b))
    });
    coords
}

/// Every combination of values of `coords`, the first coordinate varying slowest.
fn assignments(pipeline: &Pipeline, coords: &[usize]) -> Vec<Assignment> {
    let mut out = vec![Assignment::new()];
    for &c in coords {
        let n = pipeline.coordinates[c].values.len();
        out = out
            .into_iter()
            .flat_map(|a| {
                (0..n).map(move |i| {
                    let mut next = a.clone();
                    next.insert(c, i);
                    next
                })
            })
            .collect();
    }
    out
}

/// The assignment as the input's target sees it: the caller's values plus the selector's fixed ones.
fn restrict(input: &crate::check::InputRef, assignment: &Assignment) -> Assignment {
    let mut a = assignment.clone();
    for (&c, &i) in &input.fixed {
        a.insert(c, i);
    }
    a
}

/// The instances of `target` that an input refers to under `assignment`, in the target's order.
fn stage_members(
    pipeline: &Pipeline,
    input: &crate::check::InputRef,
    target: &CheckedDecl,
    assignment: &Assignment,
    by_decl: &HashMap<DeclId, HashMap<Vec<usize>, InstanceId>>,
) -> Vec<InstanceId> {
    let base = restrict(input, assignment);
    let gathered: Vec<usize> = sorted_by_name(pipeline, target)
        .into_iter()
        .filter(|c| input.gathered.contains(c))
        .collect();
    let table = &by_decl[&input.target];
    let mut ids = Vec::new();
    for extra in assignments(pipeline, &gathered) {
        let key: Vec<usize> = target
            .coords
            .iter()
            .map(|c| extra.get(c).or_else(|| base.get(c)).copied().unwrap_or(0))
            .collect();
        if let Some(&id) = table.get(&key) {
            ids.push(id);
        }
    }
    ids
}

/// A definition with its parameters, terms and referenced definitions resolved under `assignment`.
fn definition(pipeline: &Pipeline, decl_id: DeclId, assignment: &Assignment) -> Definition {
    let decl = &pipeline.decls[decl_id];
    let terms = decl
        .terms
        .iter()
        .map(|t| {
            let weight = match &t.weight {
                Slot::Fixed(v) => v.as_f64().unwrap_or(0.0),
                Slot::Swept(c) => pipeline.coordinates[*c].values[assignment[c]].as_f64().unwrap_or(0.0),
            };
            let def = Definition {
                op: t.op.schema().name.to_string(),
                params: params_for(pipeline, &t.params, assignment),
                terms: Vec::new(),
                refs: BTreeMap::new(),
            };
            (weight, def)
        })
        .collect();
    let refs = decl
        .inputs
        .iter()
        .map(|(name, input)| {
            (
                name.clone(),
                definition(pipeline, input.target, &restrict(input, assignment)),
            )
        })
        .collect();
    Definition {
        op: decl.op_name().to_string(),
        params: params_for(pipeline, &decl.params, assignment),
        terms,
        refs,
    }
}

fn params_for(pipeline: &Pipeline, slots: &BTreeMap<String, Slot>, assignment: &Assignment) -> Params {
    let values = slots
        .iter()
        .map(|(k, slot)| {
            let v = match slot {
                Slot::Fixed(v) => v.clone(),
                Slot::Swept(c) => pipeline.coordinates[*c].values[assignment[c]].clone(),
            };
            (k.clone(), v)
        })
        .collect();
    Params::new(values)
}

/// `decl` or `decl[a=1,b=tanh]`.
fn instance_name(decl: &str, coords: &[(String, Value)]) -> String {
    if coords.is_empty() {
        return decl.to_string();
    }
    let parts: Vec<String> = coords
        .iter()
        .map(|(k, v)| format!("{k}={}", v.to_string().replace(' ', "")))
        .collect();
    format!("{decl}[{}]", parts.join(","))
}

/// The seed of a stage: the pipeline seed, the declaration's name and its own `seed` parameter.
fn derive_seed(pipeline_seed: u64, decl: &str, own: Option<&Value>) -> u64 {
    let mut h = blake3::Hasher::new();
    h.update(b"rnx-seed-v1");
    h.update(&pipeline_seed.to_le_bytes());
    crate::value::hash_str(&mut h, decl);
    if let Some(v) = own {
        v.hash_into(&mut h);
    }
    let bytes = h.finalize();
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes.as_bytes()[..8]);
    u64::from_le_bytes(word)
}
