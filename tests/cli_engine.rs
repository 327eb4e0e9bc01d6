//! End-to-end tests of the engine through the real binary: incremental reruns and their reasons,
//! crash safety, concurrent runs, and outputs read by an independent Parquet reader.

mod common;

use common::{Project, ok, ran, reasons_for, stderr, stdout};
use std::path::Path;

const PIPELINE: &str = r#"
pipeline demo { seed = 7 }
task wm = working_memory { items = 2 }
data observed = swap_mixture(wm) { trials = 200  kappa = 10 }
data look = trials(wm) { n = 2 }
data all = concat(observed)
"#;

#[test]
fn a_second_run_executes_nothing() {
    let p = Project::new();
    p.write("demo.rnx", PIPELINE);
    let first = p.rnx(&["run", "demo.rnx"]);
    ok(&first);
    assert_eq!(ran(&first), ["all", "look", "observed"]);
    let second = p.rnx(&["run", "demo.rnx"]);
    ok(&second);
    assert!(ran(&second).is_empty(), "second run ran {:?}", ran(&second));
    assert!(stderr(&second).contains("0 ran, 3 cached"), "{}", stderr(&second));
}

#[test]
fn one_changed_parameter_reruns_its_stage_and_descendants_and_says_why() {
    let p = Project::new();
    p.write("demo.rnx", PIPELINE);
    ok(&p.rnx(&["run", "demo.rnx"]));
    p.write("demo.rnx", &PIPELINE.replace("trials = 200", "trials = 300"));

    let status = p.rnx(&["status", "demo.rnx"]);
    ok(&status);
    let out = stdout(&status);
    assert!(
        out.contains("stale") && out.contains("`trials` changed 200 -> 300"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("cached") && l.contains("look")),
        "{out}"
    );

    let run = p.rnx(&["run", "demo.rnx"]);
    ok(&run);
    assert_eq!(ran(&run), ["all", "observed"]);
    assert_eq!(reasons_for(&run, "observed"), "`trials` changed 200 -> 300");
    assert_eq!(reasons_for(&run, "all"), "input `stages` changed");
}

#[test]
fn a_set_override_is_a_parameter_change_too() {
    let p = Project::new();
    p.write("demo.rnx", PIPELINE);
    ok(&p.rnx(&["run", "demo.rnx"]));
    let run = p.rnx(&["run", "demo.rnx", "--set", "look.n=3"]);
    ok(&run);
    assert_eq!(ran(&run), ["look"]);
    assert_eq!(reasons_for(&run, "look"), "`n` changed 2 -> 3");
}

#[test]
fn whitespace_comments_and_order_rerun_nothing() {
    let p = Project::new();
    p.write("demo.rnx", PIPELINE);
    ok(&p.rnx(&["run", "demo.rnx"]));
    let reordered = r#"
# The same pipeline, reordered, reformatted and commented.
data all = concat( observed )   # gathers the behaviour
data look = trials(wm) {
    n = 2
}
data observed = swap_mixture(wm) { kappa = 10, trials = 200 }
task wm = working_memory { items = 2 }
pipeline demo { seed = 7 }
"#;
    p.write("demo.rnx", reordered);
    let run = p.rnx(&["run", "demo.rnx"]);
    ok(&run);
    assert!(ran(&run).is_empty(), "ran {:?}", ran(&run));
}

#[test]
fn equivalent_quantities_give_the_same_key() {
    let p = Project::new();
    p.write("demo.rnx", &PIPELINE.replace("items = 2", "items = 2  dt = 20 ms"));
    ok(&p.rnx(&["run", "demo.rnx"]));
    p.write("demo.rnx", &PIPELINE.replace("items = 2", "items = 2  dt = 0.02 s"));
    let run = p.rnx(&["run", "demo.rnx"]);
    ok(&run);
    assert!(ran(&run).is_empty(), "ran {:?}", ran(&run));
}

#[test]
fn an_upstream_rerun_with_identical_output_does_not_rerun_dependents() {
    let p = Project::new();
    p.write("obs.csv", "cue,response\n1.0,0.5\n2.0,0.25\n");
    let text = "data raw = load { path = \"obs.csv\" }\ndata all = concat(raw)\n";
    p.write("l.rnx", text);
    ok(&p.rnx(&["run", "l.rnx"]));
    // Same numbers, written differently: `raw` must rerun, and its output is byte-identical.
    p.write("obs.csv", "cue,response\n1.00,0.50\n2.00,0.250\n");
    let run = p.rnx(&["run", "l.rnx"]);
    ok(&run);
    assert_eq!(ran(&run), ["raw"]);
    assert_eq!(reasons_for(&run, "raw"), "file `path` changed");
}

#[test]
fn status_json_gives_one_object_per_instance() {
    let p = Project::new();
    p.write("demo.rnx", &PIPELINE.replace("kappa = 10", "kappa = sweep(5, 10)"));
    let before = p.rnx(&["status", "demo.rnx", "--json"]);
    ok(&before);
    let v: serde_json::Value = serde_json::from_str(&stdout(&before)).expect("json");
    let items = v.as_array().expect("array");
    assert_eq!(
        items.len(),
        4,
        "two observed members, look, and one `all` gathering the family: {v}"
    );
    let first = items
        .iter()
        .find(|i| i["name"] == "observed[kappa=5]")
        .expect("instance");
    assert_eq!(first["state"], "missing");
    assert_eq!(first["coords"]["kappa"], "5");
    assert_eq!(first["reasons"][0]["kind"], "never_run");
    assert!(first["key"].as_str().is_some_and(|k| k.len() == 64));
    let all = items.iter().find(|i| i["name"] == "all").expect("downstream instance");
    assert!(all["key"].is_null(), "a key is unknown until the input runs: {all}");
    assert_eq!(all["reasons"][0]["kind"], "input_pending");

    ok(&p.rnx(&["run", "demo.rnx"]));
    let after = p.rnx(&["status", "demo.rnx", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&after)).expect("json");
    assert!(v.as_array().unwrap().iter().all(|i| i["state"] == "cached"), "{v}");
}

#[test]
fn a_failing_stage_commits_nothing_and_stops_only_its_descendants() {
    let p = Project::new();
    p.write("bad.csv", "a,b\n1,2,3,4\n\"unterminated\n");
    let text = "task wm = working_memory { }\ndata raw = load { path = \"bad.csv\" }\ndata all = concat(raw)\ndata look = trials(wm) { n = 1 }\n";
    p.write("f.rnx", text);
    let run = p.rnx(&["run", "f.rnx"]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains("stage `raw` failed"), "{err}");
    assert!(err.contains("f.rnx:2:1"), "the error points at the declaration: {err}");
    assert!(err.contains("skipped all"), "{err}");
    assert_eq!(ran(&run), ["look", "raw"]);
    let status = stdout(&p.rnx(&["status", "f.rnx"]));
    assert!(
        status.lines().any(|l| l.starts_with("missing") && l.contains("raw")),
        "{status}"
    );
    assert!(
        status.lines().any(|l| l.starts_with("cached") && l.contains("look")),
        "{status}"
    );
    assert_eq!(
        std::fs::read_dir(p.cache().join("v1/tmp")).unwrap().count(),
        0,
        "staging folders are removed"
    );

    p.write("bad.csv", "a,b\n1,2\n");
    let fixed = p.rnx(&["run", "f.rnx"]);
    ok(&fixed);
    assert_eq!(ran(&fixed), ["all", "raw"]);
}

#[test]
fn a_run_killed_mid_stage_leaves_nothing_complete_and_the_next_run_finishes() {
    let p = Project::new();
    let text =
        "task wm = working_memory { }\ndata big = swap_mixture(wm) { trials = 3_000_000 }\ndata all = concat(big)\n";
    p.write("k.rnx", text);
    let mut child = p
        .command(&["run", "k.rnx"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let _ = child.kill();
    let _ = child.wait();
    // Whatever the moment of the kill, every entry that exists must be complete and intact.
    for entry in std::fs::read_dir(p.cache().join("v1/objects")).unwrap() {
        let dir = entry.unwrap().path();
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join("manifest.json")).expect("complete entries have a manifest"),
        )
        .expect("manifest parses");
        for out in manifest["outputs"].as_array().unwrap() {
            let size = std::fs::metadata(dir.join(out["name"].as_str().unwrap()))
                .unwrap()
                .len();
            assert_eq!(size, out["bytes"].as_u64().unwrap());
        }
    }
    let rerun = p.rnx(&["run", "k.rnx"]);
    ok(&rerun);
    assert_eq!(
        std::fs::read_dir(p.cache().join("v1/tmp")).unwrap().count(),
        0,
        "the killed run's staging is cleaned up"
    );
    let status = stdout(&p.rnx(&["status", "k.rnx"]));
    assert!(status.lines().skip(1).all(|l| l.starts_with("cached")), "{status}");
}

#[test]
fn two_concurrent_runs_on_one_cache_both_succeed() {
    let p = Project::new();
    p.write("demo.rnx", &PIPELINE.replace("kappa = 10", "kappa = sweep(5, 10, 20)"));
    let a = p.command(&["run", "demo.rnx", "-j", "2"]).output();
    let b = p.command(&["run", "demo.rnx", "-j", "2"]);
    let (a, b) = {
        let mut b = b;
        let hb = std::thread::spawn(move || b.output().expect("run b"));
        let a = a.expect("run a");
        (a, hb.join().expect("join"))
    };
    ok(&a);
    ok(&b);
    // Each instance ran in exactly one of the two processes, or was found cached by the other.
    let status = stdout(&p.rnx(&["status", "demo.rnx"]));
    assert!(status.lines().skip(1).all(|l| l.starts_with("cached")), "{status}");
    let entries = std::fs::read_dir(p.cache().join("v1/objects")).unwrap().count();
    assert_eq!(entries, 5, "3 observed + 1 all + 1 look");
}

#[test]
fn check_exit_codes() {
    let p = Project::new();
    p.write("good.rnx", PIPELINE);
    p.write("bad.rnx", "data x = trails(wm) { }\n");
    let good = p.rnx(&["check", "good.rnx"]);
    assert_eq!(good.status.code(), Some(0), "{}", stderr(&good));
    let bad = p.rnx(&["check", "bad.rnx"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("did you mean `trials`?"), "{}", stderr(&bad));
    let missing = p.rnx(&["check", "nope.rnx"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("cannot read"), "{}", stderr(&missing));
}

#[test]
fn graph_prints_dot_and_mermaid() {
    let p = Project::new();
    p.write("demo.rnx", &PIPELINE.replace("kappa = 10", "kappa = sweep(5, 10)"));
    let dot = stdout(&p.rnx(&["graph", "demo.rnx"]));
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.contains("observed[kappa=5]") && dot.contains("->"), "{dot}");
    let mermaid = stdout(&p.rnx(&["graph", "demo.rnx", "--mermaid"]));
    assert!(
        mermaid.starts_with("flowchart LR") && mermaid.contains("-->"),
        "{mermaid}"
    );
}

#[test]
fn show_prints_a_tables_path_and_rows() {
    let p = Project::new();
    p.write("demo.rnx", PIPELINE);
    let before = p.rnx(&["show", "demo.rnx", "observed"]);
    assert_eq!(before.status.code(), Some(1));
    ok(&p.rnx(&["run", "demo.rnx"]));
    let shown = p.rnx(&["show", "demo.rnx", "observed", "--table", "trials", "-n", "3"]);
    ok(&shown);
    let out = stdout(&shown);
    assert!(out.contains("trials.parquet") && out.contains("200 rows"), "{out}");
    assert!(out.lines().nth(1).is_some_and(|l| l.contains("response")), "{out}");
    assert_eq!(out.lines().count(), 5, "path, header and three rows: {out}");
}

#[test]
fn show_markdown_prints_every_row_as_a_markdown_table() {
    let p = Project::new();
    p.write("demo.rnx", PIPELINE);
    ok(&p.rnx(&["run", "demo.rnx"]));
    let shown = p.rnx(&["show", "demo.rnx", "observed", "--table", "trials", "--markdown"]);
    ok(&shown);
    let out = stdout(&shown);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("| ") && lines[0].contains(" response "), "{out}");
    assert!(lines[1].starts_with("| --- |"), "{out}");
    assert_eq!(
        lines.len(),
        2 + 200,
        "header, rule and all 200 rows, no path line: {out}"
    );
    assert!(!out.contains("trials.parquet"), "{out}");
}

#[test]
fn ops_lists_and_describes_operators() {
    let p = Project::new();
    let all = stdout(&p.rnx(&["ops"]));
    for name in [
        "working_memory",
        "delayed_reach",
        "trials",
        "swap_mixture",
        "load",
        "concat",
        "ctrnn",
        "mse",
    ] {
        assert!(all.contains(name), "{name} missing from:\n{all}");
    }
    let one = stdout(&p.rnx(&["ops", "swap_mixture"]));
    assert!(
        one.contains("kappa") && one.contains("default") && one.contains("outputs"),
        "{one}"
    );
    let unknown = p.rnx(&["ops", "swap_mixtur"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("did you mean `swap_mixture`?"));
}

#[test]
fn outputs_open_in_pyarrow_without_float_dictionaries() {
    let python = match std::env::var("RNX_TEST_PYTHON") {
        Ok(p) => p,
        Err(_) if std::env::var_os("CI").is_some() => panic!("CI must set RNX_TEST_PYTHON to a python with pyarrow"),
        Err(_) => {
            eprintln!("skipped: set RNX_TEST_PYTHON to a python with pyarrow to run this test");
            return;
        }
    };
    let p = Project::new();
    p.write("demo.rnx", &PIPELINE.replace("kappa = 10", "kappa = sweep(5, 10)"));
    ok(&p.rnx(&["run", "demo.rnx"]));
    let script = r#"
import json, pathlib, sys
import pyarrow.parquet as pq
root = pathlib.Path(sys.argv[1]) / "v1" / "objects"
checked = 0
for manifest_path in root.glob("*/manifest.json"):
    manifest = json.loads(manifest_path.read_text())
    for out in manifest["outputs"]:
        if not out["name"].endswith(".parquet"):
            continue
        path = manifest_path.parent / out["name"]
        table = pq.read_table(path)
        assert table.num_rows == out["rows"], (path, table.num_rows, out["rows"])
        meta = pq.ParquetFile(path).metadata
        for rg in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                col = meta.row_group(rg).column(c)
                if col.physical_type in ("FLOAT", "DOUBLE"):
                    assert "RLE_DICTIONARY" not in col.encodings and "PLAIN_DICTIONARY" not in col.encodings, (path, col.path_in_schema, col.encodings)
        checked += 1
print(checked)
"#;
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(p.cache())
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", stderr(&out));
    let checked: usize = stdout(&out).trim().parse().expect("count");
    assert!(checked >= 7, "read only {checked} tables");
    assert!(Path::new(&p.cache()).exists());
}

#[test]
fn sweep_coordinates_are_columns_of_the_tables() {
    let p = Project::new();
    p.write("demo.rnx", &PIPELINE.replace("kappa = 10", "kappa = sweep(5, 10)"));
    ok(&p.rnx(&["run", "demo.rnx"]));
    let member = stdout(&p.rnx(&["show", "demo.rnx", "observed[kappa=5]", "--table", "trials", "-n", "2"]));
    let header: Vec<&str> = member.lines().nth(1).unwrap_or("").split_whitespace().collect();
    assert_eq!(header.first(), Some(&"kappa"), "{member}");
    // `all` stacks each member's first table by name (`swap_curve`, 8 bins each).
    let stacked = stdout(&p.rnx(&["show", "demo.rnx", "all", "-n", "16"]));
    assert!(stacked.contains("16 rows"), "{stacked}");
    let kappas: std::collections::BTreeSet<&str> = stacked
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(kappas.into_iter().collect::<Vec<_>>(), ["10.0", "5.0"], "{stacked}");
}

#[test]
fn the_same_file_and_seed_give_the_same_bytes() {
    let p = Project::new();
    p.write("demo.rnx", PIPELINE);
    let a = p
        .command(&["run", "demo.rnx"])
        .env("RNX_CACHE", p.path("cache_a"))
        .output()
        .unwrap();
    let b = p
        .command(&["run", "demo.rnx"])
        .env("RNX_CACHE", p.path("cache_b"))
        .output()
        .unwrap();
    ok(&a);
    ok(&b);
    let entries = |root: &str| {
        let mut out: Vec<(String, Vec<u8>)> = Vec::new();
        for entry in std::fs::read_dir(p.path(root).join("v1/objects")).unwrap() {
            let dir = entry.unwrap().path();
            for file in std::fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_some_and(|x| x == "parquet") {
                    let name = format!(
                        "{}/{}",
                        dir.file_name().unwrap().to_string_lossy(),
                        file.file_name().unwrap().to_string_lossy()
                    );
                    out.push((name, std::fs::read(&file).unwrap()));
                }
            }
        }
        out.sort();
        out
    };
    let (ea, eb) = (entries("cache_a"), entries("cache_b"));
    assert_eq!(ea.len(), 5, "two tables each for observed and look, one for all");
    assert_eq!(ea, eb, "same keys, same bytes");

    // A different pipeline seed gives different behaviour.
    p.write("demo.rnx", &PIPELINE.replace("seed = 7", "seed = 8"));
    ok(&p
        .command(&["run", "demo.rnx"])
        .env("RNX_CACHE", p.path("cache_c"))
        .output()
        .unwrap());
    assert_ne!(entries("cache_c"), ea);
}

#[test]
fn a_reader_that_closes_the_pipe_early_is_not_a_crash() {
    let p = Project::new();
    let mut child = p
        .command(&["ops"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn rnx");
    // Close the read end at once, as `rnx ops | head -1` does after its first line.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for rnx");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?}: {err}", out.status);
}

/// `rnx completions bash` is a valid bash script that completes every visible command and a
/// command's flags; the hidden `worker` is not offered.
#[test]
fn bash_completions_are_valid_and_name_every_command() {
    let p = Project::new();
    let out = p.rnx(&["completions", "bash"]);
    ok(&out);
    let script = stdout(&out);
    let file = p.write("rnx.bash", &script);
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(syntax.status.success(), "{}", String::from_utf8_lossy(&syntax.stderr));
    for command in [
        "check",
        "run",
        "status",
        "graph",
        "show",
        "claims",
        "ops",
        "bench",
        "report",
        "pack",
        "unpack",
        "verify",
        "gc",
        "cache",
        "diff",
        "completions",
    ] {
        assert!(
            script.contains(&format!("rnx__{command})")) || script.contains(&format!("rnx,{command})")),
            "{command}"
        );
    }
    assert!(script.contains("--keys"), "verify's flags are completed");
    assert!(!script.contains("worker"), "the hidden worker command is offered");
    let bad = p.rnx(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("possible values"), "{}", stderr(&bad));
}
