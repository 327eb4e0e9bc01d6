//! Per-key lock files, so that two rnx processes never compute or remove one entry at once.

use super::{CacheError, StageKey, Store};
use std::fs::{File, OpenOptions};

/// An exclusive lock on one cache key, released on drop.
pub struct EntryLock {
    file: File,
}

impl EntryLock {
    /// Blocks until this process holds the key's lock.
    pub fn acquire(store: &Store, key: &StageKey) -> Result<EntryLock, CacheError> {
        let file = Self::open(store, key)?;
        file.lock()
            .map_err(|e| CacheError::io("lock", &store.locks().join(key.hex()), e))?;
        Ok(EntryLock { file })
    }

    /// Takes the lock if it is free; `None` if another process holds it.
    pub fn try_acquire(store: &Store, key: &StageKey) -> Result<Option<EntryLock>, CacheError> {
        let file = Self::open(store, key)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(EntryLock { file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(CacheError::io("lock", &store.locks().join(key.hex()), e)),
        }
    }

    fn open(store: &Store, key: &StageKey) -> Result<File, CacheError> {
        let path = store.locks().join(format!("{}.lock", key.hex()));
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| CacheError::io("open", &path, e))
    }
}

impl Drop for EntryLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The name of the store-wide lock file in `locks/`.
pub const STORE_LOCK: &str = "store.lock";

/// A lock on the whole store: held shared by every process that adds entries (`run`, `unpack`)
/// and exclusively by `gc`, so that garbage collection never removes an entry a running pipeline
/// has just committed but not yet recorded in its lock file.
pub struct StoreLock {
    file: File,
}

impl StoreLock {
    /// Blocks until this process shares the store with other writers.
    pub fn shared(store: &Store) -> Result<StoreLock, CacheError> {
        let (file, path) = Self::open(store)?;
        file.lock_shared().map_err(|e| CacheError::io("lock", &path, e))?;
        Ok(StoreLock { file })
    }

    /// Takes the store exclusively if no other process holds it; `None` if one does.
    pub fn try_exclusive(store: &Store) -> Result<Option<StoreLock>, CacheError> {
        let (file, path) = Self::open(store)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(StoreLock { file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(CacheError::io("lock", &path, e)),
        }
    }

    /// Blocks until no other process holds the store.
    pub fn exclusive(store: &Store) -> Result<StoreLock, CacheError> {
        let (file, path) = Self::open(store)?;
        file.lock().map_err(|e| CacheError::io("lock", &path, e))?;
        Ok(StoreLock { file })
    }

    fn open(store: &Store) -> Result<(File, std::path::PathBuf), CacheError> {
        let path = store.locks().join(STORE_LOCK);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| CacheError::io("open", &path, e))?;
        Ok((file, path))
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}
