//! The cache's entries (`rnx cache ls`) and garbage collection (`rnx gc`).
//!
//! `gc` removes every entry that no kept lock references. It runs holding the store exclusively
//! (every `rnx run` and `rnx unpack` holds it shared), so an entry that a running pipeline has
//! committed but not yet written into its lock is never removed; and it takes each entry's own
//! lock before removing it.

use crate::cache::{EntryLock, MANIFEST, Manifest, STORE_LOCK, StageKey, Store};
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct CacheEntry {
    pub key: String,
    /// The instance that produced it (another pipeline may share it).
    pub stage: String,
    pub bytes: u64,
    /// Seconds since the Unix epoch; 0 when unknown.
    pub committed_at: u64,
    /// No readable manifest: a damaged entry.
    pub damaged: bool,
}

/// Every entry in the store, by key.
pub fn list_entries(store: &Store) -> Vec<CacheEntry> {
    let Ok(dirs) = std::fs::read_dir(store.objects()) else {
        return Vec::new();
    };
    let mut out: Vec<CacheEntry> = dirs
        .flatten()
        .filter(|d| d.file_type().is_ok_and(|t| t.is_dir()))
        .map(|d| {
            let key = d.file_name().to_string_lossy().into_owned();
            let manifest_path = d.path().join(MANIFEST);
            let manifest = std::fs::read(&manifest_path)
                .ok()
                .and_then(|b| Manifest::parse(&b, &manifest_path).ok());
            CacheEntry {
                bytes: folder_bytes(&d.path()),
                stage: manifest.as_ref().map_or_else(|| "?".into(), |m| m.stage.clone()),
                committed_at: manifest.as_ref().map_or(0, |m| m.committed_at),
                damaged: manifest.is_none() || StageKey::from_hex(&key).is_none(),
                key,
            }
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|it| it.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

/// What `gc` would do.
#[derive(Debug, Default)]
pub struct GcPlan {
    pub remove: Vec<CacheEntry>,
    pub kept: usize,
    pub kept_bytes: u64,
}

impl GcPlan {
    pub fn bytes(&self) -> u64 {
        self.remove.iter().map(|e| e.bytes).sum()
    }
}

/// The entries not among `keep` (cache keys in hex).
pub fn gc_plan(store: &Store, keep: &BTreeSet<String>) -> GcPlan {
    let mut plan = GcPlan::default();
    for entry in list_entries(store) {
        if keep.contains(&entry.key) {
            plan.kept += 1;
            plan.kept_bytes += entry.bytes;
        } else {
            plan.remove.push(entry);
        }
    }
    plan
}

/// Removes the planned entries, each under its lock; an entry whose lock another process holds
/// is left alone. Returns the entries removed and the bytes freed.
pub fn remove_entries(store: &Store, plan: &GcPlan) -> (usize, u64) {
    let (mut removed, mut freed) = (0, 0);
    for entry in &plan.remove {
        let dir = store.objects().join(&entry.key);
        let Some(key) = StageKey::from_hex(&entry.key) else {
            // Not an rnx key at all: nothing can be locked or computed under it.
            if std::fs::remove_dir_all(&dir).is_ok() {
                removed += 1;
                freed += entry.bytes;
            }
            continue;
        };
        let Ok(Some(_lock)) = EntryLock::try_acquire(store, &key) else {
            continue;
        };
        if store.remove(&key).is_ok() {
            removed += 1;
            freed += entry.bytes;
            let lock_file = store.locks().join(format!("{}.lock", key.hex()));
            if lock_file.file_name().is_some_and(|n| n != STORE_LOCK) {
                let _ = std::fs::remove_file(lock_file);
            }
        }
    }
    (removed, freed)
}
