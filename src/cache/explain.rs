//! Explaining why a stage must run: the difference between its last key inputs and its current ones.

use super::key::KeyInputs;
use serde::Serialize;
use std::fmt;

/// One reason a stage instance is not cached.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    NeverRun,
    ParamChanged {
        name: String,
        old: String,
        new: String,
    },
    ParamAdded {
        name: String,
        value: String,
    },
    ParamRemoved {
        name: String,
        value: String,
    },
    InputChanged {
        input: String,
    },
    /// An upstream stage is not cached yet, so this stage's key is not known until it runs.
    InputPending {
        input: String,
        stages: Vec<String>,
    },
    FileChanged {
        name: String,
    },
    OperatorVersion {
        op: String,
        old: u32,
        new: u32,
    },
    OperatorChanged {
        old: String,
        new: String,
    },
    SeedChanged {
        old: u64,
        new: u64,
    },
    DeviceChanged {
        old: String,
        new: String,
    },
    /// The key is the same as last time but the entry is gone (removed, or another cache folder).
    EntryMissing,
    EntryCorrupt {
        reason: String,
    },
    /// The key cannot be computed: a file it depends on cannot be read.
    Unreadable {
        message: String,
    },
    /// The key changed for a reason the record cannot show (for example a newer key format).
    KeyChanged,
    /// `rnx verify` recomputes it to compare with the lock.
    Verify,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NeverRun => write!(f, "never run"),
            // Long values (a written-out task's body) would bury the reason; name the parameter only.
            Reason::ParamChanged { name, old, new } if old.len() + new.len() > 120 => write!(f, "`{name}` changed"),
            Reason::ParamChanged { name, old, new } => write!(f, "`{name}` changed {old} -> {new}"),
            Reason::ParamAdded { name, value } => write!(f, "`{name}` added ({value})"),
            Reason::ParamRemoved { name, value } => write!(f, "`{name}` removed (was {value})"),
            Reason::InputChanged { input } => write!(f, "input `{input}` changed"),
            Reason::InputPending { input, stages } => {
                write!(f, "input `{input}` reruns first ({})", stages.join(", "))
            }
            Reason::FileChanged { name } => write!(f, "file `{name}` changed"),
            Reason::OperatorVersion { op, old, new } => write!(f, "operator `{op}` v{old} -> v{new}"),
            Reason::OperatorChanged { old, new } => write!(f, "operator changed `{old}` -> `{new}`"),
            Reason::SeedChanged { old, new } => write!(f, "seed changed {old:x} -> {new:x}"),
            Reason::DeviceChanged { old, new } => write!(f, "device changed {old} -> {new}"),
            Reason::EntryMissing => write!(f, "output missing from the cache"),
            Reason::EntryCorrupt { reason } => write!(f, "cache entry corrupt ({reason})"),
            Reason::Unreadable { message } => write!(f, "{message}"),
            Reason::KeyChanged => write!(f, "cache key changed"),
            Reason::Verify => write!(f, "recomputing to compare with the lock"),
        }
    }
}

/// The differences between a previous run's key inputs and the current ones.
pub fn explain(old: &KeyInputs, new: &KeyInputs) -> Vec<Reason> {
    let mut reasons = Vec::new();
    if old.op != new.op {
        reasons.push(Reason::OperatorChanged {
            old: old.op.clone(),
            new: new.op.clone(),
        });
    } else if old.op_version != new.op_version {
        reasons.push(Reason::OperatorVersion {
            op: new.op.clone(),
            old: old.op_version,
            new: new.op_version,
        });
    }
    for (name, value) in &new.params {
        match old.params.get(name) {
            None => reasons.push(Reason::ParamAdded {
                name: name.clone(),
                value: value.clone(),
            }),
            Some(o) if o != value => reasons.push(Reason::ParamChanged {
                name: name.clone(),
                old: o.clone(),
                new: value.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, value) in &old.params {
        if !new.params.contains_key(name) {
            reasons.push(Reason::ParamRemoved {
                name: name.clone(),
                value: value.clone(),
            });
        }
    }
    for (name, hash) in &new.files {
        if old.files.get(name) != Some(hash) {
            reasons.push(Reason::FileChanged { name: name.clone() });
        }
    }
    for (input, hashes) in &new.inputs {
        if old.inputs.get(input) != Some(hashes) {
            reasons.push(Reason::InputChanged { input: input.clone() });
        }
    }
    if old.seed != new.seed {
        reasons.push(Reason::SeedChanged {
            old: old.seed,
            new: new.seed,
        });
    }
    if old.device != new.device {
        reasons.push(Reason::DeviceChanged {
            old: old.device.clone(),
            new: new.device.clone(),
        });
    }
    if reasons.is_empty() {
        reasons.push(Reason::KeyChanged);
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_changed_parameter_with_both_values() {
        let mut old = KeyInputs {
            op: "trials".into(),
            op_version: 1,
            ..Default::default()
        };
        old.params.insert("n".into(), "16".into());
        let mut new = old.clone();
        new.params.insert("n".into(), "32".into());
        let reasons = explain(&old, &new);
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[0].to_string(), "`n` changed 16 -> 32");
        new.op_version = 2;
        assert!(
            explain(&old, &new)
                .iter()
                .any(|r| r.to_string() == "operator `trials` v1 -> v2")
        );
    }
}
