//! `rnx verify`: recompute a stage from its cached inputs and compare what it writes with the lock.
//!
//! Three things are compared: the key (the pipeline as written must be the one the lock
//! describes), each output the cache holds (it must be the file the lock records: an altered
//! result is caught here), and each recomputed output (it must hash as the lock records, or, for
//! a table, agree with the locked table within a tolerance, which the verdict then says).
//! Volatile outputs (wall times) are skipped.

use super::lockfile::LockedStage;
use super::tolerance::{TableComparison, Tolerance, compare_tables};
use crate::cache::{Store, explain, hash_file};
use crate::exec::{EventSink, Prepared, recompute};
use crate::plan::Plan;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every output recomputed to the bytes the lock records.
    Identical,
    /// Some tables differ in their bytes but agree within the tolerance; one note per table.
    WithinTolerance(Vec<String>),
    /// One message per disagreement.
    Mismatch(Vec<String>),
    /// The stage could not be recomputed (an input is missing, the operator failed).
    CannotVerify(String),
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Identical | Verdict::WithinTolerance(_))
    }
}

/// Verifies one prepared instance against its locked record.
pub fn verify_instance(
    plan: &Plan,
    prepared: &Prepared,
    locked: Option<&LockedStage>,
    store: &Store,
    device: &str,
    tolerance: Tolerance,
    events: &dyn EventSink,
) -> Verdict {
    let Some(locked) = locked else {
        return Verdict::Mismatch(vec!["the lock does not list it".into()]);
    };
    if prepared.key.hex() != locked.key {
        let reasons: Vec<String> = explain(&locked.key_inputs, &prepared.key_inputs)
            .iter()
            .map(|r| r.to_string())
            .collect();
        return Verdict::Mismatch(vec![format!(
            "its key differs from the lock's ({}): the pipeline or its inputs are not what the lock describes",
            reasons.join("; ")
        )]);
    }
    let mut problems = Vec::new();
    let entry = store.entry_dir(&prepared.key);
    if prepared.cached {
        for out in locked.outputs.iter().filter(|o| !o.volatile) {
            let path = entry.join(&out.name);
            match hash_file(&path) {
                Ok(h) if Some(&h) == out.blake3.as_ref() => {}
                Ok(_) => problems.push(format!(
                    "the cached `{}` is not the file the lock records (altered?)",
                    out.name
                )),
                Err(e) => problems.push(format!("the cached `{}` cannot be read: {e}", out.name)),
            }
        }
    }

    let scratch = match tempfile::Builder::new()
        .prefix(&Store::staging_name("verify"))
        .tempdir_in(store.tmp())
    {
        Ok(d) => d,
        Err(e) => return Verdict::CannotVerify(format!("cannot create a scratch folder: {e}")),
    };
    let (written, volatile) = match recompute(plan, prepared, device, scratch.path(), events) {
        Ok(w) => w,
        Err(e) => return Verdict::CannotVerify(format!("recomputing failed: {e}")),
    };
    let written: BTreeSet<&String> = written.iter().collect();
    let locked_names: BTreeSet<&String> = locked.outputs.iter().map(|o| &o.name).collect();
    if written != locked_names {
        problems.push(format!(
            "it wrote {:?}; the lock records {:?}",
            written.iter().collect::<Vec<_>>(),
            locked_names.iter().collect::<Vec<_>>()
        ));
    }
    let mut notes = Vec::new();
    for out in locked
        .outputs
        .iter()
        .filter(|o| !o.volatile && !volatile.contains(&o.name))
    {
        let path = scratch.path().join(&out.name);
        let Ok(hash) = hash_file(&path) else { continue };
        if Some(&hash) == out.blake3.as_ref() {
            continue;
        }
        let reference = entry.join(&out.name);
        let reference_is_locked = hash_file(&reference).ok().as_ref() == out.blake3.as_ref();
        if out.name.ends_with(".parquet") && reference_is_locked {
            match compare_tables(&path, &reference, tolerance) {
                TableComparison::Within { max_abs_diff, column } => notes.push(format!(
                    "`{}` differs in its bytes but agrees within rtol {}, atol {} (largest difference {max_abs_diff:.3e}{})",
                    out.name,
                    tolerance.rtol,
                    tolerance.atol,
                    if column.is_empty() { String::new() } else { format!(", column `{column}`") }
                )),
                TableComparison::Differs(why) => problems.push(format!("`{}` recomputed differently: {why}", out.name)),
            }
        } else {
            problems.push(format!(
                "`{}` recomputed to blake3 {}…, the lock records {}…",
                out.name,
                &hash[..12],
                out.blake3.as_deref().map_or("nothing", |h| &h[..12.min(h.len())])
            ));
        }
    }
    if !problems.is_empty() {
        Verdict::Mismatch(problems)
    } else if !notes.is_empty() {
        Verdict::WithinTolerance(notes)
    } else {
        Verdict::Identical
    }
}
