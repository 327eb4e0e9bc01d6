//! The content-addressed cache: one folder per stage key, committed atomically with a manifest.
//!
//! Layout under the cache root (`cache/` by default):
//! `v1/objects/<key>/` holds a committed entry (its outputs and `manifest.json`);
//! `v1/tmp/` holds entries being written; `v1/locks/` holds per-key lock files;
//! `v1/runs/` holds each pipeline's last run record, used to explain reruns.

mod commit;
mod error;
mod explain;
mod key;
mod lock;
mod manifest;
mod runs;

pub use commit::Staging;
pub use error::CacheError;
pub use explain::{Reason, explain};
pub use key::{KeyInputs, StageKey, hash_file};
pub use lock::{EntryLock, STORE_LOCK, StoreLock};
pub use manifest::{MANIFEST, Manifest, OutputFile};
pub use runs::{RecordedOutput, RunRecord, RunRecords, stamp};

use std::path::{Path, PathBuf};

/// Bumped when the layout or key encoding changes; old entries are then simply not found.
pub const FORMAT: &str = "v1";

/// A cache directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the cache at `root`.
    pub fn open(root: &Path) -> Result<Store, CacheError> {
        let store = Store {
            root: root.to_path_buf(),
        };
        for dir in [store.objects(), store.tmp(), store.locks(), store.runs_dir()] {
            std::fs::create_dir_all(&dir).map_err(|e| CacheError::io("create", &dir, e))?;
        }
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn base(&self) -> PathBuf {
        self.root.join(FORMAT)
    }
    pub fn objects(&self) -> PathBuf {
        self.base().join("objects")
    }
    pub fn tmp(&self) -> PathBuf {
        self.base().join("tmp")
    }
    pub fn locks(&self) -> PathBuf {
        self.base().join("locks")
    }
    pub fn runs_dir(&self) -> PathBuf {
        self.base().join("runs")
    }

    /// The folder of a committed entry.
    pub fn entry_dir(&self, key: &StageKey) -> PathBuf {
        self.objects().join(key.hex())
    }

    /// The committed entry for `key`, if there is a complete and intact one.
    ///
    /// An entry is complete when its manifest exists (the manifest is written last and the folder
    /// is renamed into place); it is intact when every output file has the size the manifest records.
    pub fn lookup(&self, key: &StageKey) -> Result<Option<Manifest>, CacheError> {
        let dir = self.entry_dir(key);
        let path = dir.join(manifest::MANIFEST);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CacheError::io("read", &path, e)),
        };
        let manifest = Manifest::parse(&bytes, &path)?;
        if manifest.key != key.hex() {
            return Err(CacheError::Corrupt {
                path,
                reason: "manifest belongs to another key".into(),
            });
        }
        manifest.check_sizes(&dir)?;
        Ok(Some(manifest))
    }

    /// Removes staging folders left by processes that no longer exist (killed mid-stage).
    /// Folders of live processes are left alone. Returns how many were removed.
    pub fn clean_staging(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(self.tmp()) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // A folder made on another machine (a cluster node) cannot be checked from here.
            let host = name.split('-').nth(2).filter(|h| h.len() == 8);
            if host.is_some_and(|h| h != host_tag()) {
                continue;
            }
            let pid = name.split('-').nth(1).and_then(|p| p.parse::<u32>().ok());
            let alive = match pid {
                Some(pid) if pid == std::process::id() => true,
                Some(pid) => Path::new("/proc").join(pid.to_string()).exists() || !Path::new("/proc/self").exists(),
                None => false,
            };
            if !alive && std::fs::remove_dir_all(entry.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// The name of a private folder in `tmp/`: `TAG-PID-HOST-...`, so that `clean_staging` can
    /// tell a dead process's folder from a live one's, on this machine or another.
    pub fn staging_name(tag: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{tag}-{}-{}-{nanos}", std::process::id(), host_tag())
    }

    /// Removes an entry (a corrupt one, or for `gc`). The caller must hold its lock.
    pub fn remove(&self, key: &StageKey) -> Result<(), CacheError> {
        let dir = self.entry_dir(key);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(CacheError::io("remove", &dir, e)),
        }
    }
}

/// Eight hex digits naming this machine (a hash of its host name).
fn host_tag() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    blake3::hash(host.trim().as_bytes()).to_hex()[..8].to_string()
}
