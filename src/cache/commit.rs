//! Writing an entry: a private staging folder, then a manifest, then one atomic rename.

use super::key::{KeyInputs, StageKey, hash_file};
use super::manifest::{MANIFEST, Manifest, OutputFile};
use super::{CacheError, FORMAT, Store};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A folder a stage writes into. Dropped without `commit`, it is deleted: a failed or interrupted
/// stage leaves nothing that reads as complete.
pub struct Staging {
    dir: PathBuf,
    key: StageKey,
    committed: bool,
}

impl Staging {
    /// A fresh staging folder for `key`. The caller should hold the key's lock.
    pub fn new(store: &Store, key: StageKey) -> Result<Staging, CacheError> {
        let dir = store.tmp().join(Store::staging_name(&key.short()));
        std::fs::create_dir_all(&dir).map_err(|e| CacheError::io("create", &dir, e))?;
        Ok(Staging {
            dir,
            key,
            committed: false,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Hashes the written files, writes the manifest and renames the folder into the store.
    pub fn commit(
        mut self,
        store: &Store,
        stage: &str,
        key_inputs: &KeyInputs,
        written: &[String],
        volatile: &[String],
        seconds: f64,
    ) -> Result<Manifest, CacheError> {
        let mut outputs = Vec::with_capacity(written.len());
        let mut names: Vec<&String> = written.iter().collect();
        names.sort();
        names.dedup();
        for name in names {
            let path = self.dir.join(name);
            let bytes = std::fs::metadata(&path)
                .map_err(|e| CacheError::io("stat", &path, e))?
                .len();
            let blake3 = hash_file(&path).map_err(|e| CacheError::io("hash", &path, e))?;
            let (rows, columns) = if name.ends_with(".parquet") {
                table_shape(&path)
            } else {
                (None, Vec::new())
            };
            outputs.push(OutputFile {
                volatile: volatile.contains(name),
                name: name.clone(),
                bytes,
                blake3,
                rows,
                columns,
            });
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            key: self.key.hex(),
            stage: stage.into(),
            rnx_version: env!("CARGO_PKG_VERSION").into(),
            key_inputs: key_inputs.clone(),
            content_hash: Manifest::content_hash_of(&outputs),
            outputs,
            seconds,
            committed_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        };
        let manifest_path = self.dir.join(MANIFEST);
        write_synced(&manifest_path, manifest.to_json().as_bytes())?;
        let target = store.entry_dir(&self.key);
        if target.exists() {
            // A corrupt entry under our lock: replace it.
            store.remove(&self.key)?;
        }
        std::fs::rename(&self.dir, &target).map_err(|e| CacheError::io("commit", &target, e))?;
        if let Ok(parent) = std::fs::File::open(store.objects()) {
            let _ = parent.sync_all();
        }
        self.committed = true;
        Ok(manifest)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(|e| CacheError::io("create", path, e))?;
    f.write_all(bytes).map_err(|e| CacheError::io("write", path, e))?;
    f.sync_all().map_err(|e| CacheError::io("sync", path, e))
}

/// Row count and `name: type` columns of a Parquet file, from its footer.
fn table_shape(path: &Path) -> (Option<u64>, Vec<String>) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let Ok(file) = std::fs::File::open(path) else {
        return (None, Vec::new());
    };
    let Ok(reader) = SerializedFileReader::new(file) else {
        return (None, Vec::new());
    };
    let meta = reader.metadata().file_metadata();
    let rows = u64::try_from(meta.num_rows()).ok();
    let columns = match parquet::arrow::parquet_to_arrow_schema(meta.schema_descr(), meta.key_value_metadata()) {
        Ok(schema) => schema
            .fields()
            .iter()
            .map(|f| format!("{}: {}", f.name(), f.data_type()))
            .collect(),
        Err(_) => Vec::new(),
    };
    (rows, columns)
}
