//! Names that refer into a stage's task: its `epoch`, `variant` and `variants` parameters must be
//! epochs and variants that the task has, where the task says so before running.

use super::CheckError;
use super::checked::{Coordinate, Slot};
use super::names::did_you_mean;
use super::param_spans::value_span;
use super::resolve::Resolved;
use crate::ast::Declaration;
use crate::check::diagnostic::Diagnostic;
use crate::ops::Operator;
use crate::ops::tasks::declared;
use crate::source::SourceId;
use crate::trialspec::TrialSpec;
use crate::value::Value;

/// Checks every stage whose `task` input is bound to a task with known epochs or variants.
pub fn check(
    decls: &[(SourceId, Declaration)],
    resolved: &[Option<Resolved>],
    coordinates: &[Coordinate],
    errors: &mut Vec<Diagnostic>,
) {
    for (i, r) in resolved.iter().enumerate() {
        let Some(r) = r else { continue };
        let Some(input) = r.inputs.get("task") else {
            continue;
        };
        let Some(Some(task)) = resolved.get(input.target) else {
            continue;
        };
        let Some(Operator::Task(op)) = task.op else {
            continue;
        };
        let task_name = &decls[input.target].1.name.name;
        let epochs: Option<Vec<String>> = if op.schema().name == declared::NAME {
            declared_epochs(task)
        } else {
            op.epochs().map(|e| e.iter().map(|s| s.to_string()).collect())
        };
        let variants: Option<Vec<String>> = op.variants().map(|v| v.iter().map(|s| s.to_string()).collect());
        let decl = &decls[i].1;
        let mut check_one = |param: &str, known: &Option<Vec<String>>, what: &str, allow_empty: bool| {
            let Some(known) = known else { return };
            for value in values(r.params.get(param), coordinates) {
                if (allow_empty && value.is_empty()) || known.contains(&value) {
                    continue;
                }
                let help = did_you_mean(&value, known.iter().map(String::as_str))
                    .or_else(|| Some(format!("`{task_name}`'s {what}s: {}", known.join(", "))));
                errors.push(Diagnostic::check(
                    decl.span.source,
                    CheckError::NotInTask {
                        message: format!("task `{task_name}` has no {what} `{value}`"),
                        at: value_span(decl, param).miette(),
                        label: format!("not one of `{task_name}`'s {what}s"),
                        help,
                    },
                ));
            }
        };
        check_one("epoch", &epochs, "epoch", true);
        check_one("variant", &variants, "variant", false);
        check_one("variants", &variants, "variant", false);
    }
}

/// A written-out task's epochs, from its checked body.
fn declared_epochs(task: &Resolved) -> Option<Vec<String>> {
    let Some(Slot::Fixed(Value::Str(text))) = task.params.get(declared::SPEC_PARAM) else {
        return None;
    };
    let spec: TrialSpec = serde_json::from_str(text).ok()?;
    Some(spec.epochs.into_iter().map(|e| e.name).collect())
}

/// Every string a parameter may take: its value, each list item, each swept value.
fn values(slot: Option<&Slot>, coordinates: &[Coordinate]) -> Vec<String> {
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Str(s) => out.push(s.clone()),
            Value::List(items) => items.iter().for_each(|i| strings(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match slot {
        Some(Slot::Fixed(v)) => strings(v, &mut out),
        Some(Slot::Swept(c)) => {
            if let Some(coord) = coordinates.get(*c) {
                coord.values.iter().for_each(|v| strings(v, &mut out));
            }
        }
        None => {}
    }
    out
}
