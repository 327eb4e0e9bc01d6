//! Where each parameter's value is written in a declaration, for errors found after checking
//! (a stage's `epoch` against its task, a `load`'s file, a table named by `table`).

use crate::ast::{Arg, DeclBody, Declaration};
use crate::source::Span;
use std::collections::BTreeMap;

/// Where a parameter's value is written (its block entry or named argument), else the name.
pub fn value_span(decl: &Declaration, param: &str) -> Span {
    if let DeclBody::Call(call) = &decl.body {
        if let Some(entry) = call.block.iter().flat_map(|b| &b.entries).find(|e| e.key.name == param) {
            return entry.value.span;
        }
        if let Some(v) = call.args.iter().find_map(|a| match a {
            Arg::Named(k, v) if k.name == param => Some(v),
            _ => None,
        }) {
            return v.span;
        }
    }
    decl.name.span
}

/// The value span of every parameter written in the declaration (its block entries and named
/// arguments).
pub fn param_spans(decl: &Declaration) -> BTreeMap<String, Span> {
    let mut out = BTreeMap::new();
    if let DeclBody::Call(call) = &decl.body {
        for a in &call.args {
            if let Arg::Named(k, v) = a {
                out.insert(k.name.clone(), v.span);
            }
        }
        for entry in call.block.iter().flat_map(|b| &b.entries) {
            out.insert(entry.key.name.clone(), entry.value.span);
        }
    }
    out
}
