//! `rnx pack`: one compressed archive with a pipeline's sources, its lock and its results.

use super::ShareError;
use super::archive::{PACK_FORMAT, PACK_MANIFEST, PackManifest, PackedFile};
use super::lockfile::{Lockfile, absolute, source_hashes};
use super::paths::{common_ancestor, portable, relative_to};
use crate::cache::{StageKey, Store};
use crate::plan::Plan;
use crate::schema::ParamType;
use crate::source::Sources;
use crate::value::Value;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Which cache entries go into the pack.
#[derive(Debug, Clone, PartialEq)]
pub enum PackSelection {
    All,
    /// Instances no other instance reads.
    Final,
    /// These stages (every instance of a declaration, or one instance by its full name).
    Stages(Vec<String>),
}

pub struct PackOptions {
    pub selection: PackSelection,
    /// Also pack the files that `load` stages and `trial_table` tasks (any path parameter) read.
    pub with_inputs: bool,
    pub output: PathBuf,
}

#[derive(Debug)]
pub struct PackSummary {
    pub files: usize,
    pub entries: usize,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// What the pack will hold, each member with where its bytes come from.
struct Member {
    file: PackedFile,
    from: PathBuf,
}

/// Packs the pipeline whose lock is `lock` (read from `lock_path`) with its results from `store`.
pub fn pack(
    plan: &Plan,
    sources: &Sources,
    store: &Store,
    lock: &Lockfile,
    lock_path: &Path,
    options: &PackOptions,
) -> Result<PackSummary, ShareError> {
    check_lock_matches_sources(sources, lock, lock_path)?;
    let stages = select(lock, &options.selection)?;

    // Files under `files/`, relative to the folder that holds them all.
    let mut outside: Vec<(PathBuf, &'static str)> = sources
        .iter()
        .filter_map(|(_, f)| f.path.as_ref().map(|p| (absolute(p), "source")))
        .collect();
    outside.push((absolute(lock_path), "lock"));
    if options.with_inputs {
        for path in input_files(plan) {
            outside.push((absolute(&path), "input"));
        }
    }
    let mut seen = BTreeSet::new();
    outside.retain(|(p, _)| seen.insert(p.clone()));
    let base = common_ancestor(outside.iter().map(|(p, _)| p.as_path())).ok_or_else(|| ShareError::CannotPack {
        reason: "the pipeline has no source files".into(),
        help: None,
    })?;
    let mut members = Vec::new();
    for (path, kind) in &outside {
        let (bytes, blake3) = hash_of(path)?;
        members.push(Member {
            file: PackedFile {
                path: format!("files/{}", portable(&relative_to(path, &base))),
                bytes,
                blake3,
                kind: (*kind).into(),
            },
            from: path.clone(),
        });
    }
    let member_of = |p: &Path| format!("files/{}", portable(&relative_to(&absolute(p), &base)));
    let main = member_of(&lock_dir(lock_path).join(&lock.file));
    let lock_member = member_of(lock_path);

    let mut entries = Vec::new();
    for name in &stages {
        let stage = &lock.stages[name];
        let key = StageKey::from_hex(&stage.key).ok_or_else(|| ShareError::CannotPack {
            reason: format!("the lock's key for `{name}` is malformed"),
            help: None,
        })?;
        let manifest = store.lookup(&key)?.ok_or_else(|| ShareError::CannotPack {
            reason: format!(
                "the results of `{name}` are not in the cache ({})",
                store.root().display()
            ),
            help: Some("run the pipeline first (`rnx run`), or pack fewer stages with `--only`".into()),
        })?;
        if manifest.content_hash != stage.content_hash {
            return Err(ShareError::CannotPack {
                reason: format!("the cache entry of `{name}` does not hold what the lock records"),
                help: Some("run the pipeline again to refresh the lock".into()),
            });
        }
        entries.push(stage.key.clone());
        let dir = store.entry_dir(&key);
        let manifest_path = dir.join(crate::cache::MANIFEST);
        let (bytes, blake3) = hash_of(&manifest_path)?;
        members.push(object_member(&stage.key, crate::cache::MANIFEST, bytes, blake3, &dir));
        for out in &manifest.outputs {
            members.push(object_member(
                &stage.key,
                &out.name,
                out.bytes,
                out.blake3.clone(),
                &dir,
            ));
        }
    }
    let manifest = PackManifest {
        pack_format: PACK_FORMAT,
        rnx_version: env!("CARGO_PKG_VERSION").into(),
        pipeline: lock.pipeline.clone(),
        main,
        lock: lock_member,
        selection: match &options.selection {
            PackSelection::All => "all".into(),
            PackSelection::Final => "final".into(),
            PackSelection::Stages(s) => s.join(","),
        },
        entries,
        files: members.iter().map(|m| m.file.clone()).collect(),
    };
    let bytes_in = manifest.total_bytes();
    let bytes_out = write_archive(&manifest, &members, &options.output)?;
    Ok(PackSummary {
        files: members.len(),
        entries: manifest.entries.len(),
        bytes_in,
        bytes_out,
    })
}

fn object_member(key: &str, name: &str, bytes: u64, blake3: String, dir: &Path) -> Member {
    Member {
        file: PackedFile {
            path: format!("objects/{key}/{name}"),
            bytes,
            blake3,
            kind: "object".into(),
        },
        from: dir.join(name),
    }
}

fn lock_dir(lock_path: &Path) -> PathBuf {
    absolute(lock_path.parent().unwrap_or(Path::new(".")))
}

/// A pack must carry the sources its lock describes.
fn check_lock_matches_sources(sources: &Sources, lock: &Lockfile, lock_path: &Path) -> Result<(), ShareError> {
    let now = source_hashes(sources, lock_path);
    for (path, locked) in &lock.sources {
        if now.get(path) != Some(locked) {
            return Err(ShareError::CannotPack {
                reason: format!("`{path}` has changed since the run that wrote the lock"),
                help: Some("run the pipeline (`rnx run`) so that the lock describes the files being packed".into()),
            });
        }
    }
    if let Some(path) = now.keys().find(|p| !lock.sources.contains_key(*p)) {
        return Err(ShareError::CannotPack {
            reason: format!("`{path}` is used but the lock does not list it"),
            help: Some("run the pipeline (`rnx run`) to refresh the lock".into()),
        });
    }
    Ok(())
}

/// The lock's instances that the selection names, in name order.
fn select(lock: &Lockfile, selection: &PackSelection) -> Result<Vec<String>, ShareError> {
    match selection {
        PackSelection::All => Ok(lock.stages.keys().cloned().collect()),
        PackSelection::Final => {
            let read: BTreeSet<&String> = lock
                .stages
                .values()
                .flat_map(|s| s.key_inputs.input_stages.values().flatten())
                .collect();
            Ok(lock.stages.keys().filter(|n| !read.contains(n)).cloned().collect())
        }
        PackSelection::Stages(wanted) => {
            let mut out = BTreeSet::new();
            for w in wanted {
                let matching: Vec<&String> = lock
                    .stages
                    .keys()
                    .filter(|n| *n == w || n.strip_prefix(w.as_str()).is_some_and(|rest| rest.starts_with('[')))
                    .collect();
                if matching.is_empty() {
                    return Err(ShareError::CannotPack {
                        reason: format!("the lock has no stage `{w}`"),
                        help: Some(format!(
                            "its stages: {}",
                            lock.stages.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    });
                }
                out.extend(matching.into_iter().cloned());
            }
            Ok(out.into_iter().collect())
        }
    }
}

/// Files named by path parameters anywhere in the plan: stages' and the definitions they use.
fn input_files(plan: &Plan) -> Vec<PathBuf> {
    let mut out = BTreeSet::new();
    for inst in &plan.instances {
        path_params(inst.op.schema(), &inst.params, &mut out);
        for input in inst.inputs.values() {
            if let crate::plan::PlannedInput::Definition(def) = input {
                definition_files(def, &mut out);
            }
        }
    }
    out.into_iter().collect()
}

fn definition_files(def: &crate::ops::Definition, out: &mut BTreeSet<PathBuf>) {
    if let Some(op) = crate::ops::lookup(&def.op) {
        path_params(op.schema(), &def.params, out);
    }
    for (_, term) in &def.terms {
        definition_files(term, out);
    }
    for r in def.refs.values() {
        definition_files(r, out);
    }
}

fn path_params(schema: &crate::schema::OpSchema, params: &crate::params::Params, out: &mut BTreeSet<PathBuf>) {
    for (name, value) in params.iter() {
        match (schema.param(name).map(|p| p.ty), value) {
            (Some(ParamType::Path), Value::Str(path)) => {
                out.insert(PathBuf::from(path));
            }
            (Some(ParamType::List(ParamType::Path)), Value::List(items)) => {
                out.extend(items.iter().filter_map(|v| match v {
                    Value::Str(path) => Some(PathBuf::from(path)),
                    _ => None,
                }));
            }
            _ => {}
        }
    }
}

fn hash_of(path: &Path) -> Result<(u64, String), ShareError> {
    let bytes = std::fs::metadata(path)
        .map_err(|e| ShareError::io("read", path, e))?
        .len();
    let blake3 = crate::cache::hash_file(path).map_err(|e| ShareError::io("read", path, e))?;
    Ok((bytes, blake3))
}

/// Deletes a half-written pack unless it was finished.
struct PartialFile {
    path: PathBuf,
    done: bool,
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes the archive to a temporary file, checking every member against its listed hash as it
/// streams, then renames it into place. Returns the archive's size.
fn write_archive(manifest: &PackManifest, members: &[Member], output: &Path) -> Result<u64, ShareError> {
    let mut tmp_name = output.as_os_str().to_os_string();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let mut partial = PartialFile {
        path: PathBuf::from(tmp_name),
        done: false,
    };
    let file = std::fs::File::create(&partial.path).map_err(|e| ShareError::io("create", &partial.path, e))?;
    let io = |e: std::io::Error| ShareError::io("write", output, e);
    let mut encoder = zstd::Encoder::new(std::io::BufWriter::new(file), 3).map_err(io)?;
    // A frame checksum: a damaged archive fails to decompress instead of yielding other bytes.
    encoder.include_checksum(true).map_err(io)?;
    let mut builder = tar::Builder::new(encoder);
    builder.mode(tar::HeaderMode::Deterministic);
    let manifest_bytes = serde_json::to_vec_pretty(manifest).map_err(|e| io(std::io::Error::other(e)))?;
    builder
        .append_data(
            &mut header(manifest_bytes.len() as u64),
            PACK_MANIFEST,
            manifest_bytes.as_slice(),
        )
        .map_err(io)?;
    for m in members {
        let source = std::fs::File::open(&m.from).map_err(|e| ShareError::io("read", &m.from, e))?;
        let mut reader = Hashing::new(source.take(m.file.bytes));
        builder
            .append_data(&mut header(m.file.bytes), &m.file.path, &mut reader)
            .map_err(|e| ShareError::io("pack", &m.from, e))?;
        let (count, hash) = reader.finish();
        if count != m.file.bytes || hash != m.file.blake3 {
            return Err(ShareError::CannotPack {
                reason: format!(
                    "`{}` changed while it was being packed, or its cache entry is corrupt",
                    m.from.display()
                ),
                help: Some("run `rnx run` (it recomputes corrupt entries) and pack again".into()),
            });
        }
    }
    let encoder = builder.into_inner().map_err(io)?;
    let mut writer = encoder.finish().map_err(io)?;
    writer.flush().map_err(io)?;
    let file = writer.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&partial.path, output).map_err(io)?;
    partial.done = true;
    Ok(std::fs::metadata(output).map_or(0, |m| m.len()))
}

fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h
}

/// A reader that hashes and counts what passes through it.
pub(super) struct Hashing<R> {
    inner: R,
    hasher: blake3::Hasher,
    count: u64,
}

impl<R: Read> Hashing<R> {
    pub(super) fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hasher: blake3::Hasher::new(),
            count: 0,
        }
    }

    pub(super) fn finish(&self) -> (u64, String) {
        (self.count, self.hasher.finalize().to_hex().to_string())
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}
