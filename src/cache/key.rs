//! Cache keys: a blake3 hash of everything a stage's output depends on, and a readable record of it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The key of a stage instance: 32 bytes of blake3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StageKey(pub [u8; 32]);

impl StageKey {
    pub fn hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }

    pub fn from_hex(hex: &str) -> Option<StageKey> {
        blake3::Hash::from_hex(hex).ok().map(|h| StageKey(*h.as_bytes()))
    }

    /// The first 12 hex digits, for display.
    pub fn short(&self) -> String {
        self.hex()[..12].to_string()
    }
}

/// What went into a key, in readable form, so that a later run can say what changed.
/// The key itself is computed from a binary encoding of the same data, not from these strings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KeyInputs {
    pub op: String,
    pub op_version: u32,
    /// Parameters, and the parameters of the definitions it uses as `input.param`.
    pub params: BTreeMap<String, String>,
    /// Content hashes of files named by path parameters.
    pub files: BTreeMap<String, String>,
    /// Content hashes of the upstream stage outputs, per input.
    pub inputs: BTreeMap<String, Vec<String>>,
    /// Names of the upstream instances, per input (for explanations; not part of the key).
    pub input_stages: BTreeMap<String, Vec<String>>,
    pub seed: u64,
    pub device: String,
}

/// The blake3 hash of a file's content, streamed.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    let file = std::fs::File::open(path)?;
    hasher.update_reader(file)?;
    Ok(hasher.finalize().to_hex().to_string())
}
