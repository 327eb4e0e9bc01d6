//! The last run record of a pipeline: per instance, the key it had and what that key produced.
//!
//! It lets `rnx status` explain what changed since, and lets a no-op `rnx run` skip reading every
//! manifest: when an instance's key is unchanged and its manifest file has the recorded size and
//! modification time, the recorded content hash is trusted (as git trusts its index).

use super::key::KeyInputs;
use super::{CacheError, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub key: String,
    pub content_hash: String,
    /// Size and modification time (ns) of the entry's manifest when recorded.
    pub manifest_stamp: (u64, u128),
    /// Output files: names, sizes and hashes.
    pub outputs: Vec<RecordedOutput>,
    pub key_inputs: KeyInputs,
    pub seconds: f64,
}

/// One output file of a recorded instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedOutput {
    pub name: String,
    pub bytes: u64,
    pub blake3: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub volatile: bool,
}

impl From<&super::OutputFile> for RecordedOutput {
    fn from(o: &super::OutputFile) -> RecordedOutput {
        RecordedOutput {
            name: o.name.clone(),
            bytes: o.bytes,
            blake3: o.blake3.clone(),
            volatile: o.volatile,
        }
    }
}

/// All instances' records for one pipeline file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunRecords {
    pub pipeline: String,
    pub instances: BTreeMap<String, RunRecord>,
}

impl RunRecords {
    /// Where the records of the pipeline at `pipeline_file` live.
    pub fn path(store: &Store, name: &str, pipeline_file: &Path) -> PathBuf {
        let canonical = pipeline_file
            .canonicalize()
            .unwrap_or_else(|_| pipeline_file.to_path_buf());
        let id = blake3::hash(canonical.to_string_lossy().as_bytes()).to_hex();
        store.runs_dir().join(format!("{name}-{}.json", &id[..12]))
    }

    /// Reads the records; a missing or unreadable file means no previous run.
    pub fn load(path: &Path) -> RunRecords {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes the records atomically.
    pub fn save(&self, path: &Path) -> Result<(), CacheError> {
        let tmp = path.with_extension(format!("json.tmp{}", std::process::id()));
        let text = serde_json::to_vec(self).map_err(|e| CacheError::Corrupt {
            path: path.into(),
            reason: e.to_string(),
        })?;
        std::fs::write(&tmp, text).map_err(|e| CacheError::io("write", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| CacheError::io("rename", path, e))
    }
}

/// Size and modification time of a file, for the stamp check.
pub fn stamp(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), mtime))
}
