//! `rnx unpack`: extract a pack into a folder and seed the cache, trusting nothing in it.
//!
//! Every member must be a regular file listed in the pack's manifest, at a plain relative path,
//! once, with exactly the listed size and blake3 hash; links, devices, folders, duplicates,
//! unlisted members and anything past the listed size are refused, and the listed total is
//! capped. Everything is extracted into a private staging folder first and checked (hashes, each
//! cache entry's manifest against its files and the lock); only then are files moved into the
//! target folder and entries into the cache. A failure at any point before that removes the
//! staging folder (and the target folder, if unpack created it), so nothing half-written is left.

use super::ShareError;
use super::archive::{PackManifest, open_pack, read_manifest};
use super::lockfile::{Lockfile, absolute};
use super::pack::Hashing;
use super::paths::safe_member_path;
use crate::cache::{EntryLock, MANIFEST, Manifest, StageKey, Store, StoreLock};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

pub struct UnpackOptions {
    /// Refuse packs whose members add up to more than this many bytes.
    pub max_bytes: u64,
}

#[derive(Debug)]
pub struct UnpackSummary {
    /// The pipeline file, inside the target folder.
    pub main: PathBuf,
    pub lock: Lockfile,
    pub files: usize,
    /// Entries added to the cache, and entries it already had.
    pub seeded: usize,
    pub present: usize,
    pub bytes: u64,
}

/// Removes the staging folder, and the target folder if this unpack created it, unless finished.
struct Cleanup {
    staging: PathBuf,
    created_target: Option<PathBuf>,
    created_marker: Option<PathBuf>,
    done: bool,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
        if self.done {
            return;
        }
        if let Some(marker) = &self.created_marker {
            let _ = std::fs::remove_file(marker);
        }
        if let Some(dir) = &self.created_target {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Unpacks `pack` into `target`; `cache_dir_for` says where `rnx run` would find the cache of
/// the unpacked pipeline file.
pub fn unpack(
    pack: &Path,
    target: &Path,
    options: &UnpackOptions,
    cache_dir_for: &dyn Fn(&Path) -> PathBuf,
) -> Result<UnpackSummary, ShareError> {
    let created = if target.exists() {
        if !target.is_dir() {
            return Err(ShareError::Target {
                dir: target.into(),
                reason: "it is not a folder".into(),
            });
        }
        None
    } else {
        std::fs::create_dir_all(target).map_err(|e| ShareError::io("create", target, e))?;
        Some(target.to_path_buf())
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let staging = target.join(format!(".rnx-unpack-{}-{nanos}", std::process::id()));
    let mut cleanup = Cleanup {
        staging: staging.clone(),
        created_target: created,
        created_marker: None,
        done: false,
    };
    std::fs::create_dir(&staging).map_err(|e| ShareError::io("create", &staging, e))?;

    let manifest = extract(pack, &staging, options)?;
    let lock = check_contents(pack, &staging, &manifest)?;

    // The folder becomes a project root, so that `rnx run` there finds the cache seeded below.
    let marker = target.join("rnx.toml");
    if !marker.exists() && !target.join(".git").exists() {
        std::fs::write(
            &marker,
            "# The root of an rnx project (written by `rnx unpack`): its cache is `cache/` here.\n",
        )
        .map_err(|e| ShareError::io("write", &marker, e))?;
        cleanup.created_marker = Some(marker);
    }
    let main = target.join(manifest.main.strip_prefix("files/").unwrap_or(&manifest.main));
    let cache_dir = cache_dir_for(&main);

    // Files: refuse to overwrite anything that differs, or to write into the cache, before
    // moving anything.
    let listed: Vec<&super::PackedFile> = manifest.files.iter().filter(|f| f.kind != "object").collect();
    let mut moves = Vec::new();
    for f in &listed {
        let rel = f.path.strip_prefix("files/").ok_or_else(|| {
            ShareError::bad_pack(pack, format!("`{}` is a {} but not under `files/`", f.path, f.kind))
        })?;
        let dest = target.join(safe_member_path(rel).map_err(|e| ShareError::bad_pack(pack, e))?);
        if absolute(&dest).starts_with(absolute(&cache_dir)) {
            return Err(ShareError::bad_pack(
                pack,
                format!("`{}` would be written into the cache folder", f.path),
            ));
        }
        if dest.exists() {
            let same = crate::cache::hash_file(&dest).is_ok_and(|h| h == f.blake3);
            if !same {
                return Err(ShareError::Target {
                    dir: target.into(),
                    reason: format!("`{}` exists and differs from the packed file", dest.display()),
                });
            }
            continue;
        }
        moves.push((staging.join(&f.path), dest));
    }
    for (from, to) in &moves {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ShareError::io("create", parent, e))?;
        }
        std::fs::rename(from, to).map_err(|e| ShareError::io("write", to, e))?;
    }

    // Cache entries, each moved into place under its lock.
    let store = Store::open(&cache_dir)?;
    let _shared = StoreLock::shared(&store)?;
    let (mut seeded, mut present) = (0, 0);
    for key_hex in &manifest.entries {
        let key = StageKey::from_hex(key_hex).ok_or_else(|| ShareError::bad_pack(pack, "malformed key"))?;
        let _lock = EntryLock::acquire(&store, &key)?;
        match store.lookup(&key) {
            Ok(Some(_)) => {
                present += 1;
                continue;
            }
            Ok(None) => {}
            Err(_) => store.remove(&key)?,
        }
        let from = staging.join("objects").join(key_hex);
        let dest = store.entry_dir(&key);
        if std::fs::rename(&from, &dest).is_err() {
            // Another filesystem: copy into the store's staging area, then rename.
            let tmp = store.tmp().join(Store::staging_name("unpack"));
            copy_dir(&from, &tmp)?;
            std::fs::rename(&tmp, &dest).map_err(|e| {
                let _ = std::fs::remove_dir_all(&tmp);
                ShareError::io("write", &dest, e)
            })?;
        }
        seeded += 1;
    }
    cleanup.done = true;
    Ok(UnpackSummary {
        main,
        lock,
        files: listed.len(),
        seeded,
        present,
        bytes: manifest.total_bytes(),
    })
}

/// Streams the archive into `staging`, checking each member against the manifest.
fn extract(pack: &Path, staging: &Path, options: &UnpackOptions) -> Result<PackManifest, ShareError> {
    let corrupt = |e: std::io::Error| ShareError::bad_pack(pack, format!("truncated or corrupt: {e}"));
    let mut archive = open_pack(pack)?;
    let mut entries = archive.entries().map_err(corrupt)?;
    let mut first = entries
        .next()
        .ok_or_else(|| ShareError::bad_pack(pack, "it is empty"))?
        .map_err(corrupt)?;
    let manifest = read_manifest(&mut first, pack)?;
    drop(first);
    let total = manifest.total_bytes();
    if total > options.max_bytes {
        return Err(ShareError::bad_pack(
            pack,
            format!(
                "it would unpack to {total} bytes, over the limit of {} (raise it with `--max-bytes`)",
                options.max_bytes
            ),
        ));
    }
    let listed: BTreeMap<&str, &super::PackedFile> = manifest.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut seen = BTreeSet::new();
    for entry in entries {
        let entry = entry.map_err(corrupt)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind != tar::EntryType::Regular {
            let what = match kind {
                tar::EntryType::Symlink => "a symbolic link",
                tar::EntryType::Link => "a hard link",
                tar::EntryType::Directory => "a folder",
                _ => "not a regular file",
            };
            return Err(ShareError::bad_pack(pack, format!("member `{name}` is {what}")));
        }
        let rel =
            safe_member_path(&name).map_err(|e| ShareError::bad_pack(pack, format!("unsafe member path: {e}")))?;
        let Some(file) = listed.get(name.as_str()) else {
            return Err(ShareError::bad_pack(
                pack,
                format!("member `{name}` is not in its manifest"),
            ));
        };
        if !seen.insert(name.clone()) {
            return Err(ShareError::bad_pack(pack, format!("member `{name}` appears twice")));
        }
        let size = entry.header().size().map_err(corrupt)?;
        if size != file.bytes {
            return Err(ShareError::bad_pack(
                pack,
                format!("member `{name}` holds {size} bytes; its manifest says {}", file.bytes),
            ));
        }
        let dest = staging.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ShareError::io("create", parent, e))?;
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&dest)
            .map_err(|e| ShareError::io("create", &dest, e))?;
        let mut reader = Hashing::new(entry.take(file.bytes));
        std::io::copy(&mut reader, &mut out).map_err(corrupt)?;
        let (count, hash) = reader.finish();
        if count != file.bytes {
            return Err(ShareError::bad_pack(pack, format!("member `{name}` is truncated")));
        }
        if hash != file.blake3 {
            return Err(ShareError::bad_pack(
                pack,
                format!("member `{name}` does not match its hash (altered or damaged)"),
            ));
        }
    }
    if let Some(missing) = manifest.files.iter().find(|f| !seen.contains(&f.path)) {
        return Err(ShareError::bad_pack(
            pack,
            format!("it is truncated: member `{}` is missing", missing.path),
        ));
    }
    Ok(manifest)
}

/// Checks that the lock parses and that each cache entry is complete and agrees with the lock.
fn check_contents(pack: &Path, staging: &Path, manifest: &PackManifest) -> Result<Lockfile, ShareError> {
    let lock = Lockfile::read(&staging.join(&manifest.lock))?;
    let by_key: BTreeMap<&str, (&String, &super::LockedStage)> =
        lock.stages.iter().map(|(n, s)| (s.key.as_str(), (n, s))).collect();
    for key in &manifest.entries {
        let dir = staging.join("objects").join(key);
        let entry: Manifest = {
            let path = dir.join(MANIFEST);
            let bytes = std::fs::read(&path)
                .map_err(|_| ShareError::bad_pack(pack, format!("entry `{key}` has no {MANIFEST}")))?;
            Manifest::parse(&bytes, &path)?
        };
        let bad = |reason: String| ShareError::bad_pack(pack, format!("entry `{key}`: {reason}"));
        if entry.key != *key {
            return Err(bad("its manifest belongs to another key".into()));
        }
        let mut expected: BTreeSet<String> = entry.outputs.iter().map(|o| o.name.clone()).collect();
        expected.insert(MANIFEST.into());
        let prefix = format!("objects/{key}/");
        let packed: BTreeSet<String> = manifest
            .files
            .iter()
            .filter_map(|f| f.path.strip_prefix(&prefix).map(str::to_string))
            .collect();
        if packed != expected {
            return Err(bad("its files are not the ones its manifest lists".into()));
        }
        for out in &entry.outputs {
            let listed = manifest
                .files
                .iter()
                .find(|f| f.path == format!("{prefix}{}", out.name));
            if listed.is_none_or(|f| f.blake3 != out.blake3 || f.bytes != out.bytes) {
                return Err(bad(format!("`{}` does not match its manifest", out.name)));
            }
        }
        if Manifest::content_hash_of(&entry.outputs) != entry.content_hash {
            return Err(bad("its content hash does not match its outputs".into()));
        }
        let Some((name, stage)) = by_key.get(key.as_str()) else {
            return Err(bad("the lock does not list it".into()));
        };
        if stage.content_hash != entry.content_hash {
            return Err(bad(format!("it does not hold what the lock records for `{name}`")));
        }
    }
    Ok(lock)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), ShareError> {
    std::fs::create_dir_all(to).map_err(|e| ShareError::io("create", to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| ShareError::io("read", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ShareError::io("read", from, e))?;
        let dest = to.join(entry.file_name());
        std::fs::copy(entry.path(), &dest).map_err(|e| ShareError::io("write", &dest, e))?;
    }
    Ok(())
}
