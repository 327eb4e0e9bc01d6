//! The manifest of a cache entry: its key inputs, output files with hashes and sizes, and timing.

use super::CacheError;
use super::key::KeyInputs;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The manifest's file name; its presence marks an entry as complete.
pub const MANIFEST: &str = "manifest.json";

/// One output file of a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputFile {
    pub name: String,
    pub bytes: u64,
    pub blake3: String,
    /// Row count, for Parquet tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// `name: type` per column, for Parquet tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// A record of how the run went (wall times), not of what it computed: left out of the
    /// content hash, so it never makes downstream stages rerun or two identical runs differ.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub volatile: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub key: String,
    /// The instance that produced it (informational: another pipeline may reuse the entry).
    pub stage: String,
    pub rnx_version: String,
    pub key_inputs: KeyInputs,
    pub outputs: Vec<OutputFile>,
    /// blake3 over the outputs' names and hashes: what downstream keys depend on.
    pub content_hash: String,
    /// Wall-clock seconds the stage took.
    pub seconds: f64,
    /// Seconds since the Unix epoch when it was committed.
    pub committed_at: u64,
}

impl Manifest {
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Manifest, CacheError> {
        serde_json::from_slice(bytes).map_err(|e| CacheError::Corrupt {
            path: path.into(),
            reason: e.to_string(),
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks that every output exists with its recorded size (cheap; `rnx verify` re-hashes).
    pub fn check_sizes(&self, dir: &Path) -> Result<(), CacheError> {
        for out in &self.outputs {
            let path = dir.join(&out.name);
            let meta = std::fs::metadata(&path).map_err(|e| CacheError::Corrupt {
                path: path.clone(),
                reason: format!("output missing: {e}"),
            })?;
            if meta.len() != out.bytes {
                return Err(CacheError::Corrupt {
                    path,
                    reason: format!("{} bytes on disk, {} in the manifest", meta.len(), out.bytes),
                });
            }
        }
        Ok(())
    }

    /// The combined hash of a list of outputs, volatile ones excepted.
    pub fn content_hash_of(outputs: &[OutputFile]) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"rnx-content-v1");
        for out in outputs.iter().filter(|o| !o.volatile) {
            crate::value::hash_str(&mut h, &out.name);
            crate::value::hash_str(&mut h, &out.blake3);
        }
        h.finalize().to_hex().to_string()
    }
}
