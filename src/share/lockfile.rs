//! The lock file: what a run computed, stage instance by stage instance, in diff-friendly JSON.
//!
//! `rnx run FILE` writes `FILE.lock` (for `swap_errors.rnx`, `swap_errors.rnx.lock`). It records,
//! per complete instance, the cache key and everything that went into it (operator and version,
//! resolved parameters, the inputs' content hashes, seed, device class) and each output file's
//! size and blake3 hash; and for the whole run, the rnx version, profile, overrides, device and
//! the hash of every source file. Maps are sorted and wall times left out, so two runs that
//! computed the same thing write the same bytes, and `git diff` of two locks reads stage by stage.

use super::ShareError;
use super::paths::{portable, relative_to};
use crate::cache::{KeyInputs, RecordedOutput, RunRecord, RunRecords};
use crate::plan::Plan;
use crate::source::Sources;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bumped when the lock format changes incompatibly.
pub const LOCK_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lockfile {
    pub lock_format: u32,
    pub rnx_version: String,
    pub pipeline: String,
    /// The pipeline file, relative to the lock's folder.
    pub file: String,
    pub profile: Option<String>,
    /// `--set` overrides, in the order given.
    pub sets: Vec<String>,
    /// The device class stages that use a device ran on.
    pub device: String,
    /// Every source file (the pipeline and what it `use`s), relative to the lock's folder.
    pub sources: BTreeMap<String, LockedSource>,
    /// Whether every instance of the plan completed in the run that wrote this lock.
    pub complete: bool,
    pub stages: BTreeMap<String, LockedStage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockedSource {
    pub bytes: u64,
    pub blake3: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockedStage {
    pub key: String,
    #[serde(flatten)]
    pub key_inputs: KeyInputs,
    /// What downstream keys depend on: blake3 over the non-volatile outputs' names and hashes.
    pub content_hash: String,
    pub outputs: Vec<LockedOutput>,
}

/// One output file. A volatile output (wall times) is listed without size or hash: they differ
/// from run to run and no key depends on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockedOutput {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub volatile: bool,
}

/// `FILE.lock`, beside the pipeline file.
pub fn default_lock_path(pipeline_file: &Path) -> PathBuf {
    let mut name = pipeline_file.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    pipeline_file.with_file_name(name)
}

/// What a run knows that goes into its lock.
pub struct RunFacts<'a> {
    pub plan: &'a Plan,
    pub sources: &'a Sources,
    pub pipeline_file: &'a Path,
    pub profile: Option<&'a str>,
    pub sets: &'a [String],
    pub device: &'a str,
    pub records: &'a RunRecords,
    /// The instances complete in this run (cached or computed).
    pub complete: &'a [String],
}

impl Lockfile {
    /// The lock of a run, to be written at `lock_path`.
    pub fn of_run(facts: &RunFacts, lock_path: &Path) -> Lockfile {
        let lock_dir = absolute(lock_path.parent().unwrap_or(Path::new(".")));
        let sources = source_hashes(facts.sources, lock_path);
        let stages = facts
            .complete
            .iter()
            .filter_map(|name| Some((name.clone(), LockedStage::of(facts.records.instances.get(name)?))))
            .collect();
        Lockfile {
            lock_format: LOCK_FORMAT,
            rnx_version: env!("CARGO_PKG_VERSION").into(),
            pipeline: facts.plan.pipeline.clone(),
            file: portable(&relative_to(&absolute(facts.pipeline_file), &lock_dir)),
            profile: facts.profile.map(str::to_string),
            sets: facts.sets.to_vec(),
            device: facts.device.into(),
            sources,
            complete: facts.complete.len() == facts.plan.instances.len(),
            stages,
        }
    }

    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn parse(bytes: &[u8], path: &Path) -> Result<Lockfile, ShareError> {
        let bad = |reason: String| ShareError::BadLock {
            path: path.to_path_buf(),
            reason,
        };
        let lock: Lockfile = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if lock.lock_format != LOCK_FORMAT {
            return Err(bad(format!(
                "lock format {} (this rnx reads format {LOCK_FORMAT})",
                lock.lock_format
            )));
        }
        for (name, stage) in &lock.stages {
            if crate::cache::StageKey::from_hex(&stage.key).is_none() {
                return Err(bad(format!("stage `{name}` has a malformed key `{}`", stage.key)));
            }
        }
        Ok(lock)
    }

    pub fn read(path: &Path) -> Result<Lockfile, ShareError> {
        let bytes = std::fs::read(path).map_err(|e| ShareError::io("read", path, e))?;
        Lockfile::parse(&bytes, path)
    }

    /// Writes the lock atomically (a temporary file renamed into place).
    pub fn write(&self, path: &Path) -> Result<(), ShareError> {
        let mut tmp = path.as_os_str().to_os_string();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, self.to_text()).map_err(|e| ShareError::io("write", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            ShareError::io("write", path, e)
        })
    }

    /// The lock's instances as run records, so that `rnx status` can explain reruns against the
    /// lock where the cache has no record of its own (a fresh clone, another cache folder).
    pub fn as_records(&self) -> RunRecords {
        let instances = self
            .stages
            .iter()
            .map(|(name, s)| {
                let record = RunRecord {
                    key: s.key.clone(),
                    content_hash: s.content_hash.clone(),
                    // Never matches a real manifest, so the entry itself is always read.
                    manifest_stamp: (0, 0),
                    outputs: s
                        .outputs
                        .iter()
                        .map(|o| RecordedOutput {
                            name: o.name.clone(),
                            bytes: o.bytes.unwrap_or(0),
                            blake3: o.blake3.clone().unwrap_or_default(),
                            volatile: o.volatile,
                        })
                        .collect(),
                    key_inputs: s.key_inputs.clone(),
                    seconds: 0.0,
                };
                (name.clone(), record)
            })
            .collect();
        RunRecords {
            pipeline: self.pipeline.clone(),
            instances,
        }
    }
}

impl LockedStage {
    fn of(record: &RunRecord) -> LockedStage {
        LockedStage {
            key: record.key.clone(),
            key_inputs: record.key_inputs.clone(),
            content_hash: record.content_hash.clone(),
            outputs: record
                .outputs
                .iter()
                .map(|o| LockedOutput {
                    name: o.name.clone(),
                    bytes: (!o.volatile).then_some(o.bytes),
                    blake3: (!o.volatile).then(|| o.blake3.clone()),
                    volatile: o.volatile,
                })
                .collect(),
        }
    }
}

/// The size and hash of every source file, by its path relative to the lock's folder.
pub fn source_hashes(sources: &Sources, lock_path: &Path) -> BTreeMap<String, LockedSource> {
    let lock_dir = absolute(lock_path.parent().unwrap_or(Path::new(".")));
    sources
        .iter()
        .filter_map(|(_, f)| {
            let path = f.path.as_ref()?;
            Some((
                portable(&relative_to(&absolute(path), &lock_dir)),
                LockedSource {
                    bytes: f.text.len() as u64,
                    blake3: blake3::hash(f.text.as_bytes()).to_hex().to_string(),
                },
            ))
        })
        .collect()
}

/// `path` made absolute: canonical where it exists, else against the current folder.
pub fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    path.canonicalize()
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}
