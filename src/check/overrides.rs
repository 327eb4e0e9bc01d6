//! Applying overrides (`profile` blocks and `--set`) to declarations before they are checked.

use super::CheckError;
use super::names::did_you_mean;
use crate::ast::{Arg, Block, DeclBody, Declaration, Entry, Ident, Override, PipelineHeader, ValueKind};
use crate::check::diagnostic::Diagnostic;
use std::collections::HashMap;

/// Applies one override to the declarations (or to the header, for `pipeline.NAME`).
pub fn apply(
    ov: &Override,
    decls: &mut [(crate::source::SourceId, Declaration)],
    index: &HashMap<String, usize>,
    header: &mut Option<PipelineHeader>,
) -> Result<(), Box<Diagnostic>> {
    let path_text = ov.path.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(".");
    let fail = |reason: String, at: &Ident, help: Option<String>| {
        Box::new(Diagnostic::check(
            at.span.source,
            CheckError::OverrideTarget {
                path: path_text.clone(),
                reason,
                at: at.span.miette(),
                help,
            },
        ))
    };
    let first = &ov.path[0];
    let rest = &ov.path[1..];
    if first.name == "pipeline" {
        let Some(header) = header.as_mut() else {
            return Err(fail("this file has no `pipeline` header".into(), first, None));
        };
        return set_in_block(&mut header.settings, rest, ov).map_err(|(r, at)| fail(r, at, None));
    }
    let Some(&idx) = index.get(&first.name) else {
        let help = did_you_mean(&first.name, index.keys().map(|s| s.as_str()));
        return Err(fail(format!("nothing is declared as `{}`", first.name), first, help));
    };
    let decl = &mut decls[idx].1;
    match &mut decl.body {
        DeclBody::Call(call) => {
            // A parameter given as a named argument is overridden there; otherwise in the block.
            if rest.len() == 1
                && let Some(arg) = call.args.iter_mut().find_map(|a| match a {
                    Arg::Named(k, v) if k.name == rest[0].name => Some(v),
                    _ => None,
                })
            {
                *arg = ov.value.clone();
                return Ok(());
            }
            let span = call.span;
            let block = call.block.get_or_insert_with(|| Block {
                entries: Vec::new(),
                span,
            });
            set_in_block(block, rest, ov).map_err(|(r, at)| fail(r, at, None))
        }
        DeclBody::Task(body) => set_in_block(&mut body.settings, rest, ov).map_err(|(r, at)| fail(r, at, None)),
        DeclBody::Loss(expr) => {
            // `loss.term.param` sets a term's parameter; `loss.term` alone would be ambiguous.
            let Some(term_name) = rest.first() else {
                return Err(fail("name a term and a parameter".into(), first, None));
            };
            let names: Vec<String> = expr.terms.iter().map(|t| t.call.op.name.clone()).collect();
            let Some(term) = expr.terms.iter_mut().find(|t| t.call.op.name == term_name.name) else {
                let help = did_you_mean(&term_name.name, names.iter().map(|s| s.as_str()));
                return Err(fail(
                    format!("the loss has no term `{}`", term_name.name),
                    term_name,
                    help,
                ));
            };
            if rest.len() == 2 && rest[1].name == "weight" {
                term.weight = Some(ov.value.clone());
                return Ok(());
            }
            let span = term.call.span;
            let block = term.call.block.get_or_insert_with(|| Block {
                entries: Vec::new(),
                span,
            });
            set_in_block(block, &rest[1..], ov).map_err(|(r, at)| fail(r, at, None))
        }
    }
}

/// Sets `path` inside `block`, descending into nested blocks; adds the entry if it is absent.
fn set_in_block<'a>(block: &mut Block, path: &'a [Ident], ov: &'a Override) -> Result<(), (String, &'a Ident)> {
    let Some((key, rest)) = path.split_first() else {
        return Err(("the path names no parameter".into(), &ov.path[0]));
    };
    let existing = block.entries.iter_mut().find(|e| e.key.name == key.name);
    if rest.is_empty() {
        match existing {
            Some(entry) => entry.value = ov.value.clone(),
            None => block.entries.push(Entry {
                key: key.clone(),
                value: ov.value.clone(),
            }),
        }
        return Ok(());
    }
    match existing {
        Some(Entry {
            value: crate::ast::Value {
                kind: ValueKind::Block(inner),
                ..
            },
            ..
        }) => set_in_block(inner, rest, ov),
        Some(_) => Err((format!("`{}` is not a block", key.name), key)),
        None => {
            let mut inner = Block {
                entries: Vec::new(),
                span: ov.span,
            };
            set_in_block(&mut inner, rest, ov)?;
            let value = crate::ast::Value {
                kind: ValueKind::Block(inner),
                span: ov.span,
            };
            block.entries.push(Entry {
                key: key.clone(),
                value,
            });
            Ok(())
        }
    }
}
