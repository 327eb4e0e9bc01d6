//! Plan renderings: a text listing (for snapshots and `--dry-run`), Graphviz DOT and Mermaid.

use super::{Plan, PlannedInput};
use crate::ops::Definition;
use std::fmt::Write;

impl Plan {
    /// One paragraph per instance: operator, seed, parameters and inputs.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for &id in &self.order {
            let inst = &self.instances[id];
            let _ = writeln!(
                out,
                "{} {} = {}  (seed {:016x})",
                inst.kind,
                inst.name,
                inst.op.schema().name,
                inst.seed
            );
            for (k, v) in &inst.coords {
                let _ = writeln!(out, "  coord {k} = {v}");
            }
            for (k, v) in inst.params.iter() {
                let _ = writeln!(out, "  {k} = {v}");
            }
            for (k, input) in &inst.inputs {
                match input {
                    PlannedInput::Stages(ids) => {
                        let names: Vec<&str> = ids.iter().map(|&i| self.instances[i].name.as_str()).collect();
                        let _ = writeln!(out, "  input {k} <- {}", names.join(", "));
                    }
                    PlannedInput::Definition(def) => {
                        let _ = writeln!(out, "  input {k} <- {}", describe_definition(def));
                    }
                }
            }
        }
        out
    }

    /// Graphviz DOT: one node per instance, labelled with its operator.
    pub fn to_dot(&self) -> String {
        let mut out = format!(
            "digraph {} {{\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
            quote(&self.pipeline)
        );
        for (i, inst) in self.instances.iter().enumerate() {
            let _ = writeln!(
                out,
                "  n{i} [label={}];",
                quote(&format!("{}\\n{}", inst.name, inst.op.schema().name))
            );
        }
        for edge in self.graph.edge_indices() {
            if let Some((a, b)) = self.graph.edge_endpoints(edge) {
                let _ = writeln!(out, "  n{} -> n{};", self.graph[a], self.graph[b]);
            }
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (i, inst) in self.instances.iter().enumerate() {
            let label = format!("{}<br/>{}", inst.name, inst.op.schema().name).replace('"', "#quot;");
            let _ = writeln!(out, "  n{i}[\"{label}\"]");
        }
        for edge in self.graph.edge_indices() {
            if let Some((a, b)) = self.graph.edge_endpoints(edge) {
                let _ = writeln!(out, "  n{} --> n{}", self.graph[a], self.graph[b]);
            }
        }
        out
    }
}

fn describe_definition(def: &Definition) -> String {
    let mut parts: Vec<String> = def.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for (w, term) in &def.terms {
        parts.push(format!(
            "{} * {}",
            crate::value::format_float(*w),
            describe_definition(term)
        ));
    }
    for (k, r) in &def.refs {
        parts.push(format!("{k}: {}", describe_definition(r)));
    }
    format!("{}({})", def.op, parts.join(", "))
}

fn quote(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\").replace('"', "\\\"").replace("\\\\n", "\\n")
    )
}
