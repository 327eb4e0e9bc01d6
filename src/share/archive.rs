//! The pack format: a zstd-compressed tar whose first member, `rnxpack.json`, lists every other
//! member with its size and blake3 hash.
//!
//! Members: `files/<path>` for the pipeline's source files, its lock and (optionally) the files
//! its `load` stages and `trial_table` tasks read, all relative to one base folder so that relative paths between them
//! survive; `objects/<key>/<name>` for cache entries (each with its `manifest.json`).
//! Headers carry no owner or time, so one cache always packs to the same bytes.

use super::ShareError;
use super::lockfile::Lockfile;
use super::paths::safe_member_path;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// The first member of every pack.
pub const PACK_MANIFEST: &str = "rnxpack.json";
/// Bumped when the pack layout changes incompatibly.
pub const PACK_FORMAT: u32 = 1;
/// The largest manifest an unpack reads (a hostile one could claim any size).
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackManifest {
    pub pack_format: u32,
    pub rnx_version: String,
    pub pipeline: String,
    /// The pipeline file, as a member path under `files/`.
    pub main: String,
    /// The lock file, as a member path under `files/`.
    pub lock: String,
    /// Which outputs were packed: `all`, `final`, or the stages named.
    pub selection: String,
    /// Cache keys of the packed entries.
    pub entries: Vec<String>,
    /// Every member after this manifest, in archive order.
    pub files: Vec<PackedFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackedFile {
    pub path: String,
    pub bytes: u64,
    pub blake3: String,
    /// `source`, `lock`, `input` or `object`.
    pub kind: String,
}

impl PackManifest {
    /// Parses and checks a manifest: known format, safe and unique member paths.
    pub fn parse(bytes: &[u8], pack: &Path) -> Result<PackManifest, ShareError> {
        let m: PackManifest = serde_json::from_slice(bytes)
            .map_err(|e| ShareError::bad_pack(pack, format!("unreadable manifest: {e}")))?;
        if m.pack_format != PACK_FORMAT {
            return Err(ShareError::bad_pack(
                pack,
                format!("pack format {} (this rnx reads format {PACK_FORMAT})", m.pack_format),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in &m.files {
            safe_member_path(&f.path).map_err(|e| ShareError::bad_pack(pack, format!("unsafe member path: {e}")))?;
            if f.path == PACK_MANIFEST {
                return Err(ShareError::bad_pack(pack, "the manifest lists itself"));
            }
            if !seen.insert(f.path.as_str()) {
                return Err(ShareError::bad_pack(pack, format!("`{}` is listed twice", f.path)));
            }
            if !matches!(f.kind.as_str(), "source" | "lock" | "input" | "object") {
                return Err(ShareError::bad_pack(
                    pack,
                    format!("`{}` has unknown kind `{}`", f.path, f.kind),
                ));
            }
        }
        for (what, path) in [("pipeline file", &m.main), ("lock", &m.lock)] {
            if !seen.contains(path.as_str()) {
                return Err(ShareError::bad_pack(
                    pack,
                    format!("its {what} `{path}` is not among its members"),
                ));
            }
        }
        for key in &m.entries {
            if crate::cache::StageKey::from_hex(key).is_none() {
                return Err(ShareError::bad_pack(pack, format!("malformed cache key `{key}`")));
            }
        }
        Ok(m)
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).fold(0u64, u64::saturating_add)
    }
}

/// Opens a pack for reading its members in order.
pub fn open_pack(
    path: &Path,
) -> Result<tar::Archive<zstd::Decoder<'static, std::io::BufReader<std::fs::File>>>, ShareError> {
    let file = std::fs::File::open(path).map_err(|e| ShareError::io("open", path, e))?;
    let decoder =
        zstd::Decoder::new(file).map_err(|e| ShareError::bad_pack(path, format!("not zstd-compressed: {e}")))?;
    Ok(tar::Archive::new(decoder))
}

/// Reads the manifest from the pack's first member.
pub fn read_manifest<R: Read>(entry: &mut tar::Entry<R>, pack: &Path) -> Result<PackManifest, ShareError> {
    let name = entry.path_bytes().into_owned();
    if name != PACK_MANIFEST.as_bytes() {
        return Err(ShareError::bad_pack(
            pack,
            format!(
                "its first member is `{}`, not `{PACK_MANIFEST}`",
                String::from_utf8_lossy(&name)
            ),
        ));
    }
    if entry.header().entry_type() != tar::EntryType::Regular {
        return Err(ShareError::bad_pack(pack, "its manifest is not a regular file"));
    }
    let size = entry.header().size().unwrap_or(u64::MAX);
    if size > MAX_MANIFEST_BYTES {
        return Err(ShareError::bad_pack(pack, format!("its manifest claims {size} bytes")));
    }
    let mut bytes = Vec::new();
    entry
        .take(MAX_MANIFEST_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| ShareError::bad_pack(pack, format!("truncated or corrupt: {e}")))?;
    PackManifest::parse(&bytes, pack)
}

/// The lock inside a pack, read without unpacking it (for `rnx diff`).
pub fn read_pack_lock(pack: &Path) -> Result<Lockfile, ShareError> {
    let mut archive = open_pack(pack)?;
    let mut entries = archive
        .entries()
        .map_err(|e| ShareError::bad_pack(pack, format!("truncated or corrupt: {e}")))?;
    let mut first = entries
        .next()
        .ok_or_else(|| ShareError::bad_pack(pack, "it is empty"))?
        .map_err(|e| ShareError::bad_pack(pack, format!("truncated or corrupt: {e}")))?;
    let manifest = read_manifest(&mut first, pack)?;
    drop(first);
    let Some(declared) = manifest.files.iter().find(|f| f.path == manifest.lock) else {
        return Err(ShareError::bad_pack(pack, "its lock is not listed"));
    };
    for entry in entries {
        let mut entry = entry.map_err(|e| ShareError::bad_pack(pack, format!("truncated or corrupt: {e}")))?;
        if entry.path_bytes().as_ref() == manifest.lock.as_bytes() {
            let mut bytes = Vec::new();
            entry
                .by_ref()
                .take(declared.bytes.min(MAX_MANIFEST_BYTES))
                .read_to_end(&mut bytes)
                .map_err(|e| ShareError::bad_pack(pack, format!("truncated or corrupt: {e}")))?;
            if blake3::hash(&bytes).to_hex().as_str() != declared.blake3 {
                return Err(ShareError::bad_pack(
                    pack,
                    "its lock does not match its hash (altered or damaged)",
                ));
            }
            return Lockfile::parse(&bytes, &pack.join(&manifest.lock));
        }
    }
    Err(ShareError::bad_pack(
        pack,
        format!("its lock `{}` is missing", manifest.lock),
    ))
}
