//! Sharing through the real binary: lock files, pack → unpack → run with zero stages executed,
//! verify catching altered results, hostile archives refused with nothing written, `gc` keeping
//! what a lock references (also while another run is in progress), and `diff`.

mod common;

use common::{Project, ok, ran, stderr, stdout};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const PIPELINE: &str = r#"
pipeline demo { seed = 7 }
task wm = working_memory { items = 2 }
task reach = delayed_reach { hold = 100 ms  delay_min = 100 ms  delay_max = 200 ms  reaction = 50 ms  movement = 200 ms  post = 50 ms  dt = 20 ms }
model net = ctrnn { units = 16  tau = 60 ms  activation = tanh }
loss fit_loss = mse + 1e-4 * rate_l2
data observed = swap_mixture(wm) { trials = 200  kappa = 10 }
data look = trials(wm) { n = 2 }
data all = concat(observed)
train fit = train(net, reach, fit_loss) { steps = 60  batch = 16  lr = 0.005  log_every = 20 }
analysis ev = evaluate(fit, reach) { trials = 32 }
"#;

/// A project holding the pipeline, run once.
fn sender() -> Project {
    let p = Project::new();
    p.write("demo.rnx", PIPELINE);
    ok(&p.rnx(&["run", "demo.rnx"]));
    p
}

/// Every committed entry's files, by `key/name`.
fn cache_files(cache: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let objects = cache.join("v1/objects");
    let Ok(dirs) = std::fs::read_dir(&objects) else {
        return out;
    };
    for d in dirs.flatten() {
        for f in std::fs::read_dir(d.path()).unwrap().flatten() {
            let name = format!(
                "{}/{}",
                d.file_name().to_string_lossy(),
                f.file_name().to_string_lossy()
            );
            out.push((name, std::fs::read(f.path()).unwrap()));
        }
    }
    out.sort();
    out
}

fn parquet_files(files: &[(String, Vec<u8>)]) -> Vec<&(String, Vec<u8>)> {
    files
        .iter()
        .filter(|(n, _)| n.ends_with(".parquet") && !n.ends_with("timing.parquet"))
        .collect()
}

#[test]
fn run_writes_a_stable_lock_that_status_explains_against() {
    let p = sender();
    let lock = std::fs::read_to_string(p.path("demo.rnx.lock")).expect("run writes FILE.lock");
    for needle in [
        "\"pipeline\": \"demo\"",
        "\"file\": \"demo.rnx\"",
        "\"observed\"",
        "\"kappa\": \"10\"",
        "\"device\": \"cpu\"",
    ] {
        assert!(lock.contains(needle), "lock lacks {needle}:\n{lock}");
    }
    // No wall times: a second, all-cached run writes the same bytes.
    ok(&p.rnx(&["run", "demo.rnx"]));
    assert_eq!(std::fs::read_to_string(p.path("demo.rnx.lock")).unwrap(), lock);

    // With the cache's own records gone, status explains a change against the lock.
    std::fs::remove_dir_all(p.cache().join("v1/runs")).unwrap();
    p.write("demo.rnx", &PIPELINE.replace("kappa = 10", "kappa = 12"));
    let status = stdout(&p.rnx(&["status", "demo.rnx"]));
    assert!(status.contains("`kappa` changed 10 -> 12"), "{status}");
}

#[test]
fn pack_unpack_and_run_executes_nothing_with_identical_tables_and_verify_passes() {
    let a = sender();
    ok(&a.rnx(&["pack", "demo.rnx", "-o", "demo.rnxpack"]));
    let b = Project::new();
    let pack = a.path("demo.rnxpack");
    let unpacked = b.rnx(&["unpack", pack.to_str().unwrap(), "got"]);
    ok(&unpacked);
    let run = b.rnx(&["run", "got/demo.rnx"]);
    ok(&run);
    assert!(ran(&run).is_empty(), "stages ran after unpack: {:?}", ran(&run));
    assert!(stderr(&run).contains("0 ran, 5 cached"), "{}", stderr(&run));

    let sent = cache_files(&a.cache());
    let got = cache_files(&b.cache());
    assert!(
        parquet_files(&sent).len() >= 5,
        "{:?}",
        sent.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    assert_eq!(parquet_files(&sent), parquet_files(&got), "tables are byte-identical");

    let verify = b.rnx(&["verify", "got/demo.rnx"]);
    ok(&verify);
    let out = stdout(&verify);
    for stage in ["observed", "fit", "ev"] {
        assert!(out.contains(&format!("identical         {stage}")), "{out}");
    }
}

#[test]
fn pack_only_final_holds_the_sinks() {
    let a = sender();
    ok(&a.rnx(&["pack", "demo.rnx", "-o", "final.rnxpack", "--only", "final"]));
    ok(&a.rnx(&["pack", "demo.rnx", "-o", "obs.rnxpack", "--only", "observed"]));
    let entries = |name: &str| -> Vec<String> {
        let (manifest, _) = read_pack(&a.path(name));
        manifest["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    // Sinks: look, all, ev.
    assert_eq!(entries("final.rnxpack").len(), 3);
    assert_eq!(entries("obs.rnxpack").len(), 1);
    let bad = a.rnx(&["pack", "demo.rnx", "--only", "nonesuch"]);
    assert!(!bad.status.success());
    assert!(flat(&stderr(&bad)).contains("no stage `nonesuch`"), "{}", stderr(&bad));
}

#[test]
fn verify_names_the_stage_whose_packed_output_was_altered() {
    let a = sender();
    ok(&a.rnx(&["pack", "demo.rnx", "-o", "demo.rnxpack"]));
    // A consistent forgery: the table, its entry manifest, the lock and the pack manifest all agree.
    let forged = a.path("forged.rnxpack");
    forge_output(&a.path("demo.rnxpack"), &forged, "observed");
    let b = Project::new();
    ok(&b.rnx(&["unpack", forged.to_str().unwrap(), "got"]));
    let verify = b.rnx(&["verify", "got/demo.rnx", "observed", "look"]);
    assert!(!verify.status.success(), "verify passed a forged result");
    let out = stdout(&verify);
    assert!(out.contains("MISMATCH          observed"), "{out}");
    assert!(out.contains("identical         look"), "{out}");
}

#[test]
fn verify_catches_a_result_altered_in_the_cache() {
    let p = sender();
    let (obs_key, name) = lock_output(&p.path("demo.rnx.lock"), "observed");
    let table = p.cache().join("v1/objects").join(&obs_key).join(name);
    let mut bytes = std::fs::read(&table).expect("observed's table is in the cache");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&table, bytes).unwrap();
    let verify = p.rnx(&["verify", "demo.rnx", "observed"]);
    assert!(!verify.status.success());
    let out = stdout(&verify);
    assert!(
        out.contains("MISMATCH          observed") && out.contains("not the file the lock records"),
        "{out}"
    );
}

#[test]
fn diff_explains_why_two_runs_differ() {
    let p = sender();
    std::fs::copy(p.path("demo.rnx.lock"), p.path("before.lock")).unwrap();
    p.write("demo.rnx", &PIPELINE.replace("kappa = 10", "kappa = 12"));
    ok(&p.rnx(&["run", "demo.rnx"]));
    let d = p.rnx(&["diff", "before.lock", "demo.rnx.lock"]);
    assert_eq!(d.status.code(), Some(1), "differences exit 1");
    let out = stdout(&d);
    assert!(out.contains("source `demo.rnx` changed"), "{out}");
    assert!(out.contains("observed: `kappa` changed 10 -> 12"), "{out}");
    assert!(
        out.contains("all: input `stages` changed: output of observed differs"),
        "{out}"
    );
    assert!(!out.contains("look"), "look did not change: {out}");
    let same = p.rnx(&["diff", "demo.rnx.lock", "demo.rnx.lock"]);
    assert_eq!(same.status.code(), Some(0));
    // A pack's lock can be compared too.
    ok(&p.rnx(&["pack", "demo.rnx", "-o", "now.rnxpack"]));
    assert_eq!(p.rnx(&["diff", "now.rnxpack", "demo.rnx.lock"]).status.code(), Some(0));
}

#[test]
fn gc_removes_only_what_no_kept_lock_references() {
    let p = sender();
    std::fs::copy(p.path("demo.rnx.lock"), p.path("old.lock")).unwrap();
    p.write("demo.rnx", &PIPELINE.replace("kappa = 10", "kappa = 12"));
    ok(&p.rnx(&["run", "demo.rnx"]));
    let before = cache_files(&p.cache()).len();
    let dry = p.rnx(&["gc", "--keep-lock", "demo.rnx.lock", "--dry-run"]);
    ok(&dry);
    assert!(
        stdout(&dry).contains("would remove") && stdout(&dry).contains("observed"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(cache_files(&p.cache()).len(), before, "a dry run removes nothing");
    let gc = p.rnx(&["gc", "--keep-lock", "demo.rnx.lock"]);
    ok(&gc);
    assert!(stderr(&gc).contains("removed 2 entries"), "{}", stderr(&gc));
    let rerun = p.rnx(&["run", "demo.rnx"]);
    assert!(ran(&rerun).is_empty(), "gc removed a kept entry: {:?}", ran(&rerun));
    // The old lock's own entries are gone; keeping both locks would have kept them.
    let old = p.rnx(&["run", "demo.rnx", "--lock", "old.lock", "--set", "observed.kappa=10"]);
    assert_eq!(ran(&old), ["all", "observed"]);
    let ls = stdout(&p.rnx(&["cache", "ls"]));
    assert_eq!(ls.lines().count(), 8, "a header and 7 entries: {ls}");
}

#[test]
fn gc_waits_for_a_run_in_progress_and_keeps_what_it_commits() {
    let p = Project::new();
    let slow = PIPELINE.replace("steps = 60", "steps = 3000");
    p.write("demo.rnx", PIPELINE);
    ok(&p.rnx(&["run", "demo.rnx"]));
    p.write("demo.rnx", &slow.replace("kappa = 10", "kappa = 11"));
    let mut run = p
        .command(&["run", "demo.rnx", "-j", "2"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the run has committed the new `observed` (which the old lock does not reference).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let before = cache_files(&p.cache()).len();
    while cache_files(&p.cache()).len() == before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let running = run.try_wait().unwrap().is_none();
    let gc = p.rnx(&["gc", "--keep-lock", "demo.rnx.lock"]);
    ok(&gc);
    if running {
        assert!(stderr(&gc).contains("waiting for the rnx processes"), "{}", stderr(&gc));
    }
    assert!(run.wait().unwrap().success());
    let rerun = p.rnx(&["run", "demo.rnx"]);
    ok(&rerun);
    assert!(
        ran(&rerun).is_empty(),
        "gc removed what the run committed: {:?}",
        ran(&rerun)
    );
}

// ---- hostile archives ----

/// A member of a hand-made archive.
struct Raw {
    path: &'static str,
    kind: tar::EntryType,
    data: Vec<u8>,
    link: Option<&'static str>,
}

fn regular(path: &'static str, data: &[u8]) -> Raw {
    Raw {
        path,
        kind: tar::EntryType::Regular,
        data: data.to_vec(),
        link: None,
    }
}

/// Writes members verbatim (no path checks), after a manifest listing `listed` (path, bytes, hash).
fn write_raw(path: &Path, listed: &[(&str, u64, String)], members: &[Raw]) {
    let files: Vec<serde_json::Value> = listed
        .iter()
        .map(|(p, b, h)| {
            let kind = if p.ends_with(".lock") { "lock" } else { "source" };
            serde_json::json!({"path": p, "bytes": b, "blake3": h, "kind": kind})
        })
        .collect();
    let manifest = serde_json::json!({
        "pack_format": 1, "rnx_version": "0.1.0", "pipeline": "demo",
        "main": "files/demo.rnx", "lock": "files/demo.rnx.lock", "selection": "all",
        "entries": [], "files": files,
    });
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let enc = zstd::Encoder::new(file, 1).unwrap();
    let mut builder = tar::Builder::new(enc);
    let mut all = vec![regular("rnxpack.json", &manifest)];
    all.extend(members.iter().map(|m| Raw {
        path: m.path,
        kind: m.kind,
        data: m.data.clone(),
        link: m.link,
    }));
    for m in &all {
        let mut h = tar::Header::new_gnu();
        let name = m.path.as_bytes();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_entry_type(m.kind);
        h.set_size(m.data.len() as u64);
        h.set_mode(0o644);
        if let Some(link) = m.link {
            h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        h.set_cksum();
        builder.append(&h, m.data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
}

/// A diagnostic with its line wrapping undone.
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hash(b: &[u8]) -> String {
    blake3::hash(b).to_hex().to_string()
}

/// Unpacks `pack` into a new folder and checks that it was refused with `reason`, leaving the
/// folder, its parent and the cache as they were.
fn refused(pack: &Path, reason: &str, extra: &[&str]) {
    let b = Project::new();
    let target = b.path("target");
    let mut args = vec!["unpack", pack.to_str().unwrap(), target.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = b.rnx(&args);
    assert!(!out.status.success(), "unpacked a hostile archive ({reason})");
    let said = flat(&stderr(&out));
    assert!(said.contains(reason), "expected `{reason}` in:\n{said}");
    assert!(!target.exists(), "left {} behind", target.display());
    let left: Vec<PathBuf> = std::fs::read_dir(b.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(
        left.iter().all(|p| p.ends_with("cache")),
        "wrote outside the target: {left:?}"
    );
    assert!(cache_files(&b.cache()).is_empty(), "seeded the cache");
}

#[test]
fn hostile_archives_are_refused_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let src = b"pipeline demo { seed = 1 }\n".to_vec();
    let pack = |name: &str| dir.path().join(name);
    let ok_listing = |extra: Vec<(&'static str, u64, String)>| {
        let mut v = vec![
            ("files/demo.rnx", src.len() as u64, hash(&src)),
            ("files/demo.rnx.lock", 2, hash(b"{}")),
        ];
        v.extend(extra);
        v
    };

    // `..` in a member path, listed or not.
    write_raw(
        &pack("climb.rnxpack"),
        &ok_listing(vec![]),
        &[regular("files/../../evil", b"x")],
    );
    refused(&pack("climb.rnxpack"), "climbs out of its folder", &[]);
    write_raw(
        &pack("climb2.rnxpack"),
        &ok_listing(vec![("files/../evil", 1, hash(b"x"))]),
        &[],
    );
    refused(&pack("climb2.rnxpack"), "unsafe member path", &[]);
    // An absolute path.
    write_raw(
        &pack("abs.rnxpack"),
        &ok_listing(vec![]),
        &[regular("/tmp/rnx-evil", b"x")],
    );
    refused(&pack("abs.rnxpack"), "is an absolute path", &[]);
    // Links.
    let link = Raw {
        path: "files/demo.rnx",
        kind: tar::EntryType::Symlink,
        data: Vec::new(),
        link: Some("/etc/passwd"),
    };
    write_raw(&pack("symlink.rnxpack"), &ok_listing(vec![]), &[link]);
    refused(&pack("symlink.rnxpack"), "is a symbolic link", &[]);
    let hard = Raw {
        path: "files/demo.rnx",
        kind: tar::EntryType::Link,
        data: Vec::new(),
        link: Some("/etc/passwd"),
    };
    write_raw(&pack("hardlink.rnxpack"), &ok_listing(vec![]), &[hard]);
    refused(&pack("hardlink.rnxpack"), "is a hard link", &[]);
    // The same member twice.
    write_raw(
        &pack("dup.rnxpack"),
        &ok_listing(vec![]),
        &[regular("files/demo.rnx", &src), regular("files/demo.rnx", &src)],
    );
    refused(&pack("dup.rnxpack"), "appears twice", &[]);
    // A size bomb: more than the listed bytes, and a listing over the limit.
    let zeros = vec![0u8; 8 << 20];
    write_raw(
        &pack("bomb.rnxpack"),
        &ok_listing(vec![]),
        &[regular("files/demo.rnx", &zeros)],
    );
    refused(&pack("bomb.rnxpack"), "its manifest says", &[]);
    write_raw(
        &pack("big.rnxpack"),
        &ok_listing(vec![("files/big.bin", zeros.len() as u64, hash(&zeros))]),
        &[regular("files/big.bin", &zeros)],
    );
    refused(&pack("big.rnxpack"), "over the limit", &["--max-bytes", "1000000"]);
    // A member that is not the one listed.
    write_raw(
        &pack("swapped.rnxpack"),
        &ok_listing(vec![]),
        &[regular("files/demo.rnx", b"pipeline evil {}\n")],
    );
    refused(&pack("swapped.rnxpack"), "bytes; its manifest says", &[]);
    // Not a pack at all.
    std::fs::write(pack("text.rnxpack"), "hello").unwrap();
    refused(&pack("text.rnxpack"), "not a valid rnx pack", &[]);
}

#[test]
fn truncated_or_corrupted_packs_are_refused_and_leave_nothing_behind() {
    let a = sender();
    ok(&a.rnx(&["pack", "demo.rnx", "-o", "demo.rnxpack"]));
    let bytes = std::fs::read(a.path("demo.rnxpack")).unwrap();
    let truncated = a.path("truncated.rnxpack");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    refused(&truncated, "not a valid rnx pack", &[]);
    let mut flipped = bytes.clone();
    let at = bytes.len() / 2;
    flipped[at] ^= 0xff;
    let corrupt = a.path("corrupt.rnxpack");
    std::fs::write(&corrupt, &flipped).unwrap();
    refused(&corrupt, "not a valid rnx pack", &[]);
}

#[test]
fn unpack_refuses_to_overwrite_a_different_file() {
    let a = sender();
    ok(&a.rnx(&["pack", "demo.rnx", "-o", "demo.rnxpack"]));
    let b = Project::new();
    std::fs::create_dir(b.path("got")).unwrap();
    b.write("got/demo.rnx", "pipeline mine { seed = 1 }\n");
    let out = b.rnx(&["unpack", a.path("demo.rnxpack").to_str().unwrap(), "got"]);
    assert!(!out.status.success());
    assert!(flat(&stderr(&out)).contains("exists and differs"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(b.path("got/demo.rnx")).unwrap(),
        "pipeline mine { seed = 1 }\n"
    );
    assert!(!b.path("got/demo.rnx.lock").exists());
}

// ---- helpers that read and rewrite packs ----

/// A Parquet table with its first float column scaled by 1.5.
fn scaled_table(bytes: &[u8]) -> Vec<u8> {
    use arrow_array::{ArrayRef, Float64Array, RecordBatch};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    std::fs::write(&path, bytes).unwrap();
    let batch = rnx::table::read_parquet(&path).unwrap();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    let i = columns
        .iter()
        .position(|c| c.as_any().downcast_ref::<Float64Array>().is_some())
        .expect("a float column");
    let scaled: Float64Array = columns[i]
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap()
        .iter()
        .map(|v| v.map(|x| x * 1.5 + 0.25))
        .collect();
    columns[i] = std::sync::Arc::new(scaled);
    let forged = RecordBatch::try_new(batch.schema(), columns).unwrap();
    rnx::table::write_parquet(&path, &forged).unwrap();
    std::fs::read(&path).unwrap()
}

fn read_pack(path: &Path) -> (serde_json::Value, Vec<(String, Vec<u8>)>) {
    let dec = zstd::Decoder::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut archive = tar::Archive::new(dec);
    let mut members = Vec::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        members.push((name, data));
    }
    let manifest = serde_json::from_slice(&members.remove(0).1).unwrap();
    (manifest, members)
}

/// A stage's key and first output's name, from a lock.
fn lock_output(lock: &Path, stage: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(lock).unwrap()).unwrap();
    let s = &v["stages"][stage];
    (
        s["key"].as_str().unwrap().to_string(),
        s["outputs"][0]["name"].as_str().unwrap().to_string(),
    )
}

/// Rewrites a pack with the first float column of `stage`'s first table scaled by 1.5 and every
/// hash that covers it (the entry's manifest, the lock and the pack's manifest) updated to match.
fn forge_output(src: &Path, dst: &Path, stage: &str) {
    let (mut manifest, mut members) = read_pack(src);
    let lock_path = manifest["lock"].as_str().unwrap().to_string();
    let lock_i = members.iter().position(|(n, _)| *n == lock_path).unwrap();
    let mut lock: serde_json::Value = serde_json::from_slice(&members[lock_i].1).unwrap();
    let key = lock["stages"][stage]["key"].as_str().unwrap().to_string();
    let table_name = lock["stages"][stage]["outputs"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let table_path = format!("objects/{key}/{table_name}");
    let ti = members.iter().position(|(n, _)| *n == table_path).unwrap();
    members[ti].1 = scaled_table(&members[ti].1);
    let new_bytes = members[ti].1.len() as u64;
    let new_hash = hash(&members[ti].1);

    let mi = members
        .iter()
        .position(|(n, _)| *n == format!("objects/{key}/manifest.json"))
        .unwrap();
    let mut entry: rnx::cache::Manifest = serde_json::from_slice(&members[mi].1).unwrap();
    for o in &mut entry.outputs {
        if o.name == table_name {
            o.blake3 = new_hash.clone();
            o.bytes = new_bytes;
        }
    }
    entry.content_hash = rnx::cache::Manifest::content_hash_of(&entry.outputs);
    members[mi].1 = entry.to_json().into_bytes();
    lock["stages"][stage]["outputs"][0]["blake3"] = serde_json::Value::String(new_hash);
    lock["stages"][stage]["outputs"][0]["bytes"] = serde_json::json!(new_bytes);
    lock["stages"][stage]["content_hash"] = serde_json::Value::String(entry.content_hash.clone());
    members[lock_i].1 = serde_json::to_vec_pretty(&lock).unwrap();

    for f in manifest["files"].as_array_mut().unwrap() {
        let path = f["path"].as_str().unwrap().to_string();
        if let Some((_, data)) = members.iter().find(|(n, _)| *n == path) {
            f["bytes"] = serde_json::json!(data.len());
            f["blake3"] = serde_json::json!(hash(data));
        }
    }
    let file = std::fs::File::create(dst).unwrap();
    let enc = zstd::Encoder::new(file, 1).unwrap();
    let mut builder = tar::Builder::new(enc);
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let mut all = vec![("rnxpack.json".to_string(), manifest)];
    all.extend(members);
    for (name, data) in &all {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        builder.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

#[test]
fn a_pack_with_inputs_carries_used_files_and_loaded_data_across_folders() {
    let a = Project::new();
    a.write("rnx.toml", "");
    std::fs::create_dir_all(a.path("pipelines")).unwrap();
    std::fs::create_dir_all(a.path("lib")).unwrap();
    std::fs::create_dir_all(a.path("data")).unwrap();
    a.write("lib/common.rnx", "task wm = working_memory { items = 2 }\n");
    a.write("data/obs.csv", "trial,error\n0,0.1\n1,-0.2\n2,0.05\n");
    a.write(
        "pipelines/p.rnx",
        "use \"../lib/common.rnx\"\npipeline loaded { seed = 1 }\ndata raw = load { path = \"../data/obs.csv\" }\ndata look = trials(wm) { n = 2 }\ndata both = concat(raw)\n",
    );
    ok(&a.rnx(&["run", "pipelines/p.rnx"]));
    ok(&a.rnx(&["pack", "pipelines/p.rnx", "-o", "with.rnxpack", "--with-inputs"]));
    ok(&a.rnx(&["pack", "pipelines/p.rnx", "-o", "without.rnxpack"]));

    let b = Project::new();
    ok(&b.rnx(&["unpack", a.path("with.rnxpack").to_str().unwrap(), "w"]));
    for f in [
        "w/pipelines/p.rnx",
        "w/lib/common.rnx",
        "w/data/obs.csv",
        "w/pipelines/p.rnx.lock",
    ] {
        assert!(b.path(f).exists(), "{f} missing after unpack");
    }
    let run = b.rnx(&["run", "w/pipelines/p.rnx"]);
    ok(&run);
    assert!(ran(&run).is_empty(), "{:?}", ran(&run));

    // Without the loaded file, the results still arrive but `load` cannot be keyed.
    let c = Project::new();
    ok(&c.rnx(&["unpack", a.path("without.rnxpack").to_str().unwrap(), "wo"]));
    assert!(!c.path("wo/data/obs.csv").exists());
    let run = c.rnx(&["run", "wo/pipelines/p.rnx"]);
    assert!(!run.status.success());
    assert!(flat(&stderr(&run)).contains("obs.csv"), "{}", stderr(&run));
}
