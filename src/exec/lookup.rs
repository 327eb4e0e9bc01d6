//! Finding a key's committed entry, through the run record's fast path when it is still valid.

use super::Done;
use crate::cache::{CacheError, RecordedOutput, RunRecord, StageKey, Store, stamp};

/// The committed entry for `key`, or `None`. Uses `record` when it describes the same key and the
/// entry's manifest is unchanged on disk; otherwise reads the manifest.
pub fn find(
    store: &Store,
    key: &StageKey,
    record: Option<&RunRecord>,
) -> Result<Option<(Done, RunRecord)>, CacheError> {
    let dir = store.entry_dir(key);
    if let Some(r) = record
        && r.key == key.hex()
        && stamp(&dir.join("manifest.json")) == Some(r.manifest_stamp)
        && r.outputs
            .iter()
            .all(|o| std::fs::metadata(dir.join(&o.name)).is_ok_and(|m| m.len() == o.bytes))
    {
        let done = Done {
            key: *key,
            content_hash: r.content_hash.clone(),
            outputs: r.outputs.iter().map(|o| o.name.clone()).collect(),
        };
        return Ok(Some((done, r.clone())));
    }
    let Some(manifest) = store.lookup(key)? else {
        return Ok(None);
    };
    Ok(Some(record_of(store, key, &manifest)))
}

/// The completion and run record of a committed manifest.
pub fn record_of(store: &Store, key: &StageKey, manifest: &crate::cache::Manifest) -> (Done, RunRecord) {
    let stamp = stamp(&store.entry_dir(key).join("manifest.json")).unwrap_or((0, 0));
    let done = Done {
        key: *key,
        content_hash: manifest.content_hash.clone(),
        outputs: manifest.outputs.iter().map(|o| o.name.clone()).collect(),
    };
    let record = RunRecord {
        key: key.hex(),
        content_hash: manifest.content_hash.clone(),
        manifest_stamp: stamp,
        outputs: manifest.outputs.iter().map(RecordedOutput::from).collect(),
        key_inputs: manifest.key_inputs.clone(),
        seconds: manifest.seconds,
    };
    (done, record)
}
