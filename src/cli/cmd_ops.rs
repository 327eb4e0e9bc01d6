//! `rnx ops [NAME]`: the operator catalogue, or one operator's parameters, inputs and tables.

use super::EXIT_FAILURE;
use super::args::OpsArgs;
use super::stdout::out;
use crate::check::{REPLICATES_PARAM, SEED_PARAM, did_you_mean};
use crate::ops::{Operator, lookup, operators};
use crate::schema::{OpSchema, ParamSpec, ParamType};
use std::fmt::Write;

pub fn run(args: OpsArgs) -> u8 {
    match args.name {
        None => {
            out!("{}", catalogue());
            0
        }
        Some(name) => match lookup(&name) {
            Some(op) => {
                out!("{}", describe(op));
                0
            }
            None => {
                eprintln!("error: no operator `{name}`");
                if let Some(help) = did_you_mean(&name, operators().iter().map(|o| o.schema().name)) {
                    eprintln!("  help: {help}");
                }
                eprintln!("  help: `rnx ops` lists them all");
                EXIT_FAILURE
            }
        },
    }
}

/// One line per operator, grouped by declaration kind.
pub fn catalogue() -> String {
    let mut out = String::new();
    let width = operators().iter().map(|o| o.schema().name.len()).max().unwrap_or(8);
    for kind in crate::schema::DeclKind::ALL {
        let ops: Vec<&Operator> = operators()
            .iter()
            .filter(|o| o.schema().kinds.first() == Some(&kind))
            .collect();
        if ops.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{kind}:");
        for op in ops {
            let s = op.schema();
            let _ = writeln!(out, "  {:width$}  {}", s.name, s.doc);
        }
    }
    out
}

/// The full description of one operator.
pub fn describe(op: Operator) -> String {
    let s: &OpSchema = op.schema();
    let mut out = String::new();
    let kinds: Vec<&str> = s.kinds.iter().map(|k| k.keyword()).collect();
    let _ = writeln!(
        out,
        "{} ({}, version {})\n  {}",
        s.name,
        kinds.join("/"),
        s.version,
        s.doc
    );
    if !s.inputs.is_empty() {
        let _ = writeln!(out, "\ninputs:");
        for i in s.inputs {
            let accepts: Vec<&str> = i.accepts.iter().map(|k| k.keyword()).collect();
            let flags = match (i.required, i.many) {
                (true, false) => "",
                (false, false) => ", optional",
                (true, true) => ", a whole sweep family",
                (false, true) => ", optional, a whole sweep family",
            };
            let _ = writeln!(out, "  {} ({}{flags}): {}", i.name, accepts.join(" or "), i.doc);
            for need in i.reads {
                let columns: Vec<String> = need
                    .columns
                    .iter()
                    .map(|c| format!("{} ({})", c.name, c.kind))
                    .collect();
                let unless = need
                    .unless_file
                    .map_or(String::new(), |f| format!(", unless the input wrote {f}"));
                let _ = writeln!(
                    out,
                    "    reads table `{}`{}{unless}",
                    need.table,
                    if columns.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", columns.join(", "))
                    }
                );
            }
        }
    }
    let mut params: Vec<&ParamSpec> = s.params.iter().collect();
    if matches!(op, Operator::Stage(_)) && s.param("seed").is_none() {
        params.push(&SEED_PARAM);
        params.push(&REPLICATES_PARAM);
    }
    if !params.is_empty() {
        let _ = writeln!(out, "\nparameters:");
        for p in params {
            write_param(&mut out, p, 2);
        }
    }
    if !s.outputs.is_empty() {
        let _ = writeln!(out, "\noutputs (sweep coordinates are added as leading columns):");
        for o in s.outputs {
            let _ = writeln!(out, "  {}: {}", o.name, o.doc);
            for c in o.columns {
                let _ = writeln!(out, "    {:<16} {:<8} {}", c.name, c.ty, c.doc);
            }
        }
    }
    out
}

fn write_param(out: &mut String, p: &ParamSpec, indent: usize) {
    let default = p.default.map_or("required".to_string(), |d| format!("default {d}"));
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}{} ({}; {default})\n{pad}    {}", p.name, p.ty, p.doc);
    if let ParamType::Block(inner) = p.ty {
        for q in inner {
            write_param(out, q, indent + 4);
        }
    }
}
