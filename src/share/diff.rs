//! `rnx diff`: why two runs differ, stage by stage, from their locks (as `nix-diff` does for
//! two derivations). A stage whose key changed only because an input's content changed is traced
//! to the upstream stages whose outputs changed.

use super::lockfile::Lockfile;
use crate::cache::{Reason, explain};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq)]
pub enum StageDiff {
    OnlyInA,
    OnlyInB,
    /// Different keys, with the reasons.
    KeyChanged(Vec<String>),
    /// The same key gave different outputs (another machine's arithmetic, or nondeterminism).
    OutputsDiffer(Vec<String>),
}

#[derive(Debug, Default)]
pub struct LockDiff {
    /// Differences of the whole run: rnx version, profile, overrides, device, source files.
    pub run: Vec<String>,
    pub stages: Vec<(String, StageDiff)>,
    pub same: usize,
}

impl LockDiff {
    pub fn is_empty(&self) -> bool {
        self.run.is_empty() && self.stages.is_empty()
    }
}

pub fn diff(a: &Lockfile, b: &Lockfile) -> LockDiff {
    let mut out = LockDiff::default();
    let mut field = |what: &str, x: String, y: String| {
        if x != y {
            out.run.push(format!("{what}: {x} -> {y}"));
        }
    };
    field("pipeline", a.pipeline.clone(), b.pipeline.clone());
    field("rnx version", a.rnx_version.clone(), b.rnx_version.clone());
    field(
        "profile",
        a.profile.clone().unwrap_or("-".into()),
        b.profile.clone().unwrap_or("-".into()),
    );
    field("overrides", a.sets.join(" "), b.sets.join(" "));
    field("device", a.device.clone(), b.device.clone());
    field("complete", a.complete.to_string(), b.complete.to_string());
    let files: BTreeSet<&String> = a.sources.keys().chain(b.sources.keys()).collect();
    for f in files {
        match (a.sources.get(f), b.sources.get(f)) {
            (Some(x), Some(y)) if x != y => out.run.push(format!("source `{f}` changed")),
            (Some(_), None) => out.run.push(format!("source `{f}` only in A")),
            (None, Some(_)) => out.run.push(format!("source `{f}` only in B")),
            _ => {}
        }
    }

    let names: BTreeSet<&String> = a.stages.keys().chain(b.stages.keys()).collect();
    for name in names {
        let d = match (a.stages.get(name), b.stages.get(name)) {
            (Some(_), None) => StageDiff::OnlyInA,
            (None, Some(_)) => StageDiff::OnlyInB,
            (Some(x), Some(y)) if x.key != y.key => {
                let reasons = explain(&x.key_inputs, &y.key_inputs)
                    .into_iter()
                    .map(|r| match &r {
                        Reason::InputChanged { input } => {
                            let ups = y.key_inputs.input_stages.get(input).cloned().unwrap_or_default();
                            let changed: Vec<String> = ups
                                .into_iter()
                                .filter(|u| {
                                    a.stages.get(u).map(|s| &s.content_hash) != b.stages.get(u).map(|s| &s.content_hash)
                                })
                                .collect();
                            if changed.is_empty() {
                                r.to_string()
                            } else {
                                format!("{r}: output of {} differs", changed.join(", "))
                            }
                        }
                        _ => r.to_string(),
                    })
                    .collect();
                StageDiff::KeyChanged(reasons)
            }
            (Some(x), Some(y)) if x.content_hash != y.content_hash => {
                let differing = x
                    .outputs
                    .iter()
                    .filter(|o| !o.volatile)
                    .filter(|o| {
                        y.outputs
                            .iter()
                            .find(|p| p.name == o.name)
                            .is_none_or(|p| p.blake3 != o.blake3)
                    })
                    .map(|o| o.name.clone())
                    .collect();
                StageDiff::OutputsDiffer(differing)
            }
            _ => {
                out.same += 1;
                continue;
            }
        };
        out.stages.push((name.clone(), d));
    }
    out
}
