//! Tables checked across the plan's edges before anything runs: every table a stage reads from
//! an input must be one that input writes, with the columns it needs holding the right kind of
//! values. What a `load` writes comes from its file's schema, read through `FileSchemas` (the
//! caller's I/O; this module reads nothing itself).

use super::{Instance, Plan, PlannedInput};
use crate::check::diagnostic::Diagnostic;
use crate::check::{CheckError, CheckedDecl, Pipeline, did_you_mean, list_member_of};
use crate::ops::Definition;
use crate::ops::shapes::{FileSchemas, TableRead, TableShape, Writes};
use crate::schema::ColumnKind;
use crate::source::Span;
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Every mismatch between what a stage reads and what its inputs write, once per declaration
/// and problem however many sweep instances share it.
pub fn check_tables(pipeline: &Pipeline, plan: &Plan, files: &dyn FileSchemas) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    let mut report = |span: Span, message: String, label: String, help: Option<String>| {
        if seen.insert((span.source, span.start, span.end, message.clone())) {
            let error = CheckError::Table {
                message,
                at: span.miette(),
                label,
                help,
            };
            errors.push(((span.source, span.start), Diagnostic::check(span.source, error)));
        }
    };

    let writes: Vec<Option<Writes>> = plan
        .instances
        .iter()
        .map(|inst| match inst.op.writes(&inst.params, files) {
            Ok(w) => Some(with_coordinates(w, &inst.coords)),
            Err(problem) => {
                let decl = pipeline.decl(&inst.decl_name);
                let span = decl
                    .and_then(|d| d.param_spans.get(problem.param).copied())
                    .unwrap_or(inst.span);
                report(
                    span,
                    format!("stage `{}`: {}", inst.decl_name, problem.message),
                    format!("`{}` of this stage", problem.param),
                    None,
                );
                None
            }
        })
        .collect();

    for inst in &plan.instances {
        let Some(decl) = pipeline.decl(&inst.decl_name) else {
            continue;
        };
        let definitions: BTreeMap<String, Definition> = inst
            .inputs
            .iter()
            .filter_map(|(name, bound)| match bound {
                PlannedInput::Definition(d) => Some((name.clone(), d.clone())),
                PlannedInput::Stages(_) => None,
            })
            .collect();
        for read in inst.op.reads(&inst.params, &definitions) {
            let Some(PlannedInput::Stages(ids)) = inst.inputs.get(&read.input) else {
                continue;
            };
            for &id in ids {
                let upstream = &plan.instances[id];
                let Some(Writes::Known { tables, files }) = &writes[id] else {
                    continue;
                };
                if read.unless_file.is_some_and(|f| files.iter().any(|g| g == f)) {
                    continue;
                }
                let span = read
                    .named_by
                    .and_then(|p| decl.param_spans.get(p).copied())
                    .or_else(|| reference_span(pipeline, decl, &read.input, &upstream.decl_name))
                    .unwrap_or(inst.span);
                match tables.iter().find(|t| t.name == read.table) {
                    None => {
                        let (message, label, help) = missing_table(&read, upstream, tables);
                        report(span, message, label, help);
                    }
                    Some(table) => {
                        if let Some((message, label, help)) = column_problem(inst, &read, upstream, table) {
                            report(span, message, label, help);
                        }
                    }
                }
            }
        }
    }
    // In the order of the file, as the checker reports.
    errors.sort_by_key(|(at, _)| *at);
    errors.into_iter().map(|(_, d)| d).collect()
}

/// The span of the reference from `decl`'s input `input` to `target` (a list input's members
/// are `input#k`).
fn reference_span(pipeline: &Pipeline, decl: &CheckedDecl, input: &str, target: &str) -> Option<Span> {
    decl.inputs
        .iter()
        .filter(|(name, _)| name.as_str() == input || list_member_of(name) == Some(input))
        .find(|(_, r)| pipeline.decls.get(r.target).is_some_and(|d| d.name == target))
        .map(|(_, r)| r.span)
}

type Problem = (String, String, Option<String>);

fn missing_table(read: &TableRead, upstream: &Instance, tables: &[TableShape]) -> Problem {
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let stage = &upstream.decl_name;
    let message = format!("stage `{stage}` writes no table `{}`", read.table);
    let label = format!("`{}` is read from here", read.table);
    let listed = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    let help = if upstream.op.schema().name == "load" {
        format!(
            "`{stage}` is a `load`, whose table is `{listed}`; name it with `table = \"{}\"` on `{stage}`",
            read.table
        )
    } else {
        let mut help = format!("`{stage}` ({}) writes: {listed}", upstream.op.schema().name);
        if let Some(hint) = did_you_mean(&read.table, names.iter().copied()) {
            help = format!("{hint} {help}");
        }
        help
    };
    (message, label, Some(help))
}

/// Missing columns (where the table's columns are all known) and columns of the wrong kind.
fn column_problem(inst: &Instance, read: &TableRead, upstream: &Instance, table: &TableShape) -> Option<Problem> {
    let of = |name: &str| table.columns.iter().find(|(c, _)| c == name);
    let where_ = format!("table `{}` of `{}`", table.name, upstream.decl_name);
    let reader = inst.op.schema().name;
    let missing: Vec<&str> = read
        .columns
        .iter()
        .filter(|(c, _)| of(c).is_none())
        .map(|(c, _)| c.as_str())
        .collect();
    if table.complete && !missing.is_empty() {
        let needed: Vec<&str> = read.columns.iter().map(|(c, _)| c.as_str()).collect();
        let has: Vec<&str> = table.columns.iter().map(|(c, _)| c.as_str()).collect();
        return Some((
            format!(
                "{where_} lacks the column{} {}",
                if missing.len() == 1 { "" } else { "s" },
                quoted(&missing)
            ),
            format!("`{reader}` needs {}", quoted(&needed)),
            Some(format!("its columns: {}", quoted(&has))),
        ));
    }
    read.columns.iter().find_map(|(name, want)| {
        let (_, Some(have)) = of(name)? else {
            return None;
        };
        (have != want).then(|| {
            (
                format!("column `{name}` of {where_} holds {have}"),
                format!("`{reader}` needs {want} in `{name}`"),
                None,
            )
        })
    })
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Every table gains the instance's sweep coordinates as leading columns, as `write_table` adds them.
fn with_coordinates(writes: Writes, coords: &[(String, Value)]) -> Writes {
    match writes {
        Writes::Known { tables, files } => Writes::Known {
            tables: tables
                .into_iter()
                .map(|mut t| {
                    let mut columns: Vec<(String, Option<ColumnKind>)> = coords
                        .iter()
                        .map(|(n, v)| (n.clone(), Some(kind_of_value(v))))
                        .collect();
                    columns.append(&mut t.columns);
                    t.columns = columns;
                    t
                })
                .collect(),
            files,
        },
        Writes::Unknown => Writes::Unknown,
    }
}

fn kind_of_value(v: &Value) -> ColumnKind {
    match v {
        Value::Int(_) | Value::Float(_) | Value::Quantity { .. } => ColumnKind::Number,
        Value::Str(_) | Value::Enum(_) => ColumnKind::Text,
        Value::Bool(_) => ColumnKind::Bool,
        Value::List(_) | Value::Block(_) => ColumnKind::Other,
    }
}
