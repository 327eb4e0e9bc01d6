//! Dependency order, cycles, and sweep coordinates: what each declaration varies over.

use super::CheckError;
use super::checked::{Coordinate, InputRef};
use super::resolve::PendingInput;
use super::types::{PathBase, check_value};
use crate::ast::Selector;
use crate::check::diagnostic::Diagnostic;
use crate::source::Span;
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Declaration ids in dependency order, or a cycle error for every cycle.
pub fn dependency_order(
    names: &[String],
    spans: &[Span],
    inputs: &[BTreeMap<String, PendingInput>],
) -> Result<Vec<usize>, Vec<Diagnostic>> {
    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(names.len(), names.len());
    let nodes: Vec<NodeIndex> = (0..names.len()).map(|i| graph.add_node(i)).collect();
    for (user, refs) in inputs.iter().enumerate() {
        for r in refs.values() {
            graph.add_edge(nodes[r.target], nodes[user], ());
        }
    }
    match toposort(&graph, None) {
        Ok(order) => Ok(order.into_iter().map(|n| graph[n]).collect()),
        Err(_) => {
            let mut errors = Vec::new();
            for scc in tarjan_scc(&graph) {
                let self_loop = scc.len() == 1 && graph.contains_edge(scc[0], scc[0]);
                if scc.len() < 2 && !self_loop {
                    continue;
                }
                let mut members: Vec<usize> = scc.iter().map(|n| graph[*n]).collect();
                members.sort_by_key(|&i| (spans[i].source, spans[i].start));
                let mut cycle: Vec<&str> = members.iter().map(|&i| names[i].as_str()).collect();
                cycle.push(cycle[0]);
                let first = members[0];
                errors.push(Diagnostic::check(
                    spans[first].source,
                    CheckError::Cycle {
                        name: names[first].clone(),
                        cycle: cycle.join(" -> "),
                        at: spans[first].miette(),
                    },
                ));
            }
            Err(errors)
        }
    }
}

/// For each declaration (in dependency order), its coordinates and its inputs with selectors resolved.
pub fn resolve_coordinates(
    order: &[usize],
    names: &[String],
    own: &[Vec<usize>],
    pending: &[BTreeMap<String, PendingInput>],
    coordinates: &[Coordinate],
    errors: &mut Vec<Diagnostic>,
) -> (Vec<BTreeSet<usize>>, Vec<BTreeMap<String, InputRef>>) {
    let mut coords: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); names.len()];
    let mut inputs: Vec<BTreeMap<String, InputRef>> = vec![BTreeMap::new(); names.len()];
    for &d in order {
        let mut mine: BTreeSet<usize> = own[d].iter().copied().collect();
        for (input_name, p) in &pending[d] {
            let target_coords = &coords[p.target];
            let Some(input) = select(p, &names[p.target], target_coords, coordinates, errors) else {
                continue;
            };
            if !p.many {
                let count: usize = input.gathered.iter().map(|&c| coordinates[c].values.len()).product();
                if count > 1 {
                    errors.push(Diagnostic::check(
                        p.span.source,
                        CheckError::FamilyInput {
                            op: names[d].clone(),
                            input: input_name.clone(),
                            name: names[p.target].clone(),
                            count,
                            at: p.span.miette(),
                            help: "select one member, for example `name[coord = value]`, or leave the coordinate free to run one instance per member".into(),
                        },
                    ));
                }
            }
            for &c in target_coords {
                if input.fixed.contains_key(&c) || input.gathered.contains(&c) {
                    continue;
                }
                if let Some(&other) = mine
                    .iter()
                    .find(|&&o| o != c && coordinates[o].name == coordinates[c].name)
                {
                    errors.push(Diagnostic::check(
                        p.span.source,
                        CheckError::CoordinateClash {
                            coord: coordinates[c].name.clone(),
                            first: coordinates[other].origin.clone(),
                            second: coordinates[c].origin.clone(),
                            at: p.span.miette(),
                        },
                    ));
                    continue;
                }
                mine.insert(c);
            }
            inputs[d].insert(input_name.clone(), input);
        }
        coords[d] = mine;
    }
    (coords, inputs)
}

/// Applies a reference's selector to its target's coordinates.
fn select(
    p: &PendingInput,
    target_name: &str,
    target_coords: &BTreeSet<usize>,
    coordinates: &[Coordinate],
    errors: &mut Vec<Diagnostic>,
) -> Option<InputRef> {
    let mut input = InputRef {
        target: p.target,
        fixed: BTreeMap::new(),
        gathered: BTreeSet::new(),
        span: p.span,
    };
    match &p.selector {
        // A `many` input with no selector takes the whole family.
        None if p.many => input.gathered = target_coords.clone(),
        None => {}
        Some(Selector::All(_)) => input.gathered = target_coords.clone(),
        Some(Selector::Coords(list, _)) => {
            let mut ok = true;
            for (ident, value) in list {
                let found = target_coords
                    .iter()
                    .copied()
                    .find(|&c| coordinates[c].name == ident.name);
                let Some(c) = found else {
                    let available: Vec<&str> = target_coords.iter().map(|&c| coordinates[c].name.as_str()).collect();
                    let help = if available.is_empty() {
                        format!("`{target_name}` is not swept")
                    } else {
                        format!("its coordinates are: {}", available.join(", "))
                    };
                    errors.push(Diagnostic::check(
                        ident.span.source,
                        CheckError::UnknownCoordinate {
                            name: target_name.into(),
                            coord: ident.name.clone(),
                            at: ident.span.miette(),
                            help,
                        },
                    ));
                    ok = false;
                    continue;
                };
                let coordinate = &coordinates[c];
                match value {
                    None => {
                        input.gathered.insert(c);
                    }
                    Some(v) => {
                        let base = PathBase { dir: Path::new("") };
                        let index = check_value(&coordinate.name, &coordinate.ty, v, &base)
                            .ok()
                            .and_then(|resolved| coordinate.values.iter().position(|x| *x == resolved));
                        match index {
                            Some(i) => {
                                input.fixed.insert(c, i);
                            }
                            None => {
                                let values: Vec<String> = coordinate.values.iter().map(|x| x.to_string()).collect();
                                let text = v.span.source;
                                errors.push(Diagnostic::check(
                                    text,
                                    CheckError::CoordinateValue {
                                        coord: coordinate.name.clone(),
                                        value: describe_value(v),
                                        at: v.span.miette(),
                                        help: format!("the sweep's values are: {}", values.join(", ")),
                                    },
                                ));
                                ok = false;
                            }
                        }
                    }
                }
            }
            if !ok {
                return None;
            }
        }
    }
    Some(input)
}

fn describe_value(v: &crate::ast::Value) -> String {
    use crate::ast::ValueKind;
    match &v.kind {
        ValueKind::Number { value, .. } => crate::value::format_float(*value),
        ValueKind::Quantity { value, unit } => format!("{} {unit}", crate::value::format_float(*value)),
        ValueKind::Reference(r) => r.name.name.clone(),
        ValueKind::Str(s) => format!("{s:?}"),
        ValueKind::Bool(b) => b.to_string(),
        other => other.describe().to_string(),
    }
}
