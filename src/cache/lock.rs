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
