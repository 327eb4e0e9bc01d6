//! The `script` stage end to end: a user's program reads upstream Parquet tables, writes tables a
//! later stage reads, is cached by its content, interpreter version, parameters and inputs, and
//! fails its stage clearly (committing nothing) when it exits non-zero or writes bad outputs.

mod common;

use common::{Project, ok, ran, reasons_for, stderr, stdout};
use std::os::unix::fs::PermissionsExt;

/// A Python with pyarrow from `RNX_TEST_PYTHON`; tests that need it skip without it (not on CI).
fn python() -> Option<String> {
    match std::env::var("RNX_TEST_PYTHON") {
        Ok(p) => Some(p),
        Err(_) if std::env::var_os("CI").is_some() => panic!("CI must set RNX_TEST_PYTHON to a python with pyarrow"),
        Err(_) => {
            eprintln!("skipped: set RNX_TEST_PYTHON to a python with pyarrow to run this test");
            None
        }
    }
}

fn chmod(p: &Project, name: &str, mode: u32) {
    std::fs::set_permissions(p.path(name), std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Committed entries in the project's cache.
fn entries(p: &Project) -> usize {
    std::fs::read_dir(p.cache().join("v1/objects")).map_or(0, |d| d.count())
}

fn staging_is_empty(p: &Project) {
    let left = std::fs::read_dir(p.cache().join("v1/tmp")).map_or(0, |d| d.count());
    assert_eq!(left, 0, "staging folders are removed");
}

const DERIVE: &str = r#"
import json, os, sys
import pyarrow as pa, pyarrow.parquet as pq
import helper
req = json.load(open(os.environ["RNX_REQUEST"]))
assert req["format"] == "rnx-script-request-v1"
assert os.environ["RNX_OUTPUT_DIR"] == req["output_dir"]
assert int(os.environ["RNX_SEED"]) == req["seed"]
table = pq.read_table(req["inputs"][0]["tables"]["data"])
scale = req["params"]["scale"]
xs = [helper.twice(v) * scale for v in table.column("x").to_pylist()]
pq.write_table(pa.table({
    "y": xs,
    "label": [req["params"]["label"]] * len(xs),
    "stage": [os.environ["RNX_STAGE"]] * len(xs),
    "window_s": [req["params"]["window"]] * len(xs),
}), req["outputs"]["summary"])
print("wrote", len(xs), "rows")
"#;

fn derive_pipeline(python: &str) -> String {
    format!(
        "data raw = load {{ path = \"raw.csv\" }}\n\
         analysis derived = script(raw) {{\n  path = \"derive.py\"  interpreter = \"{python}\"  outputs = [\"summary\"]\n  \
         depends = [\"helper.py\"]\n  params = {{ scale = 10  label = \"x\"  window = 200 ms }}\n}}\n\
         analysis both = concat(derived) {{ table = \"summary\" }}\n"
    )
}

#[test]
fn a_python_script_feeds_a_later_stage_and_is_cached_by_content() {
    let Some(python) = python() else { return };
    let p = Project::new();
    p.write("raw.csv", "x\n1\n2\n3\n");
    p.write("helper.py", "def twice(v):\n    return 2 * v\n");
    p.write("derive.py", DERIVE);
    p.write("f.rnx", &derive_pipeline(&python));
    let first = p.rnx(&["run", "f.rnx"]);
    ok(&first);
    assert_eq!(ran(&first), ["both", "derived", "raw"]);
    let shown = stdout(&p.rnx(&["show", "f.rnx", "both"]));
    assert!(shown.contains("3 rows"), "{shown}");
    for value in ["20", "40", "60", "derived", "0.2"] {
        assert!(shown.contains(value), "`{value}` missing from:\n{shown}");
    }
    assert!(!shown.contains("| 2 "), "{shown}");

    let log = std::fs::read_dir(p.cache().join("v1/objects"))
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path().join("script.log")).ok())
        .collect::<Vec<_>>();
    assert_eq!(log, ["wrote 3 rows\n"]);

    let again = p.rnx(&["run", "f.rnx"]);
    ok(&again);
    assert!(ran(&again).is_empty(), "{}", stderr(&again));

    // A comment changes the script's content but not its table: only the script reruns.
    p.write("derive.py", &format!("# a comment\n{DERIVE}"));
    let edited = p.rnx(&["run", "f.rnx"]);
    ok(&edited);
    assert_eq!(ran(&edited), ["derived"]);
    assert!(reasons_for(&edited, "derived").contains("path"), "{}", stderr(&edited));

    p.write("helper.py", "def twice(v):\n    return 3 * v\n");
    let helper = p.rnx(&["run", "f.rnx"]);
    ok(&helper);
    assert_eq!(ran(&helper), ["both", "derived"]);
    assert!(stdout(&p.rnx(&["show", "f.rnx", "both"])).contains("90"));

    let set = p.rnx(&["run", "f.rnx", "--set", "derived.params.scale=100"]);
    ok(&set);
    assert_eq!(ran(&set), ["both", "derived"]);
    assert!(reasons_for(&set, "derived").contains("params"), "{}", stderr(&set));
}

#[test]
fn a_failing_script_fails_its_stage_with_its_stderr_and_commits_nothing() {
    let Some(python) = python() else { return };
    let p = Project::new();
    p.write("raw.csv", "x\n1\n");
    p.write("helper.py", "");
    p.write(
        "derive.py",
        "import sys\nprint('starting')\nprint('no column named wrong_column', file=sys.stderr)\nsys.exit(3)\n",
    );
    p.write("f.rnx", &derive_pipeline(&python));
    let run = p.rnx(&["run", "f.rnx"]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains("stage `derived` failed"), "{err}");
    assert!(err.contains("`derive.py` exited with code 3"), "{err}");
    assert!(err.contains("| no column named wrong_column"), "{err}");
    assert!(!err.contains("| starting"), "standard output is not quoted: {err}");
    assert!(err.contains("skipped both"), "{err}");
    assert_eq!(entries(&p), 1, "only `raw` is committed");
    staging_is_empty(&p);
    let status = stdout(&p.rnx(&["status", "f.rnx"]));
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("missing") && l.contains("derived")),
        "{status}"
    );
}

#[test]
fn missing_unreadable_and_undeclared_outputs_fail_the_stage() {
    let Some(python) = python() else { return };
    let p = Project::new();
    p.write("raw.csv", "x\n1\n");
    p.write("helper.py", "");
    p.write("f.rnx", &derive_pipeline(&python));
    let cases = [
        ("print('forgot')\n", "exited without writing its output `summary`"),
        (
            "import json, os\nreq = json.load(open(os.environ['RNX_REQUEST']))\nopen(req['outputs']['summary'], 'w').write('a,b\\n1,2\\n')\n",
            "wrote `summary.parquet`, which is not a valid Parquet file",
        ),
        (
            "import json, os, pyarrow as pa, pyarrow.parquet as pq\nreq = json.load(open(os.environ['RNX_REQUEST']))\n\
             pq.write_table(pa.table({'a': [1]}), req['outputs']['summary'])\n\
             pq.write_table(pa.table({'a': [1]}), os.path.join(req['output_dir'], 'extra.parquet'))\n",
            "wrote `extra.parquet` into the output folder, which is not one of its outputs",
        ),
    ];
    for (script, expected) in cases {
        p.write("derive.py", script);
        let run = p.rnx(&["run", "f.rnx"]);
        assert_eq!(run.status.code(), Some(1), "{script}: {}", stderr(&run));
        let err = stderr(&run);
        assert!(
            err.contains("stage `derived` failed") && err.contains(expected),
            "{err}"
        );
        assert_eq!(entries(&p), 1, "only `raw` is committed");
        staging_is_empty(&p);
    }
}

/// Copies the first input table to its output, with no library: `sed` finds the path.
const COPY_SH: &str = r#"#!/bin/sh
src=$(sed -n 's/.*"data": "\(.*\)".*/\1/p' "$RNX_REQUEST" | head -n 1)
echo "copying $src" >&2
cp "$src" "$RNX_OUTPUT_DIR/copy.parquet"
"#;

const COPY_PIPELINE: &str = "data raw = load { path = \"raw.csv\" }\n\
     data copied = script(raw) { path = \"copy.sh\"  outputs = [\"copy\"] }\n\
     analysis all = concat(copied)\n";

#[test]
fn an_executable_shell_script_runs_itself_and_must_be_executable() {
    let p = Project::new();
    p.write("raw.csv", "x,name\n1,a\n2,b\n");
    p.write("copy.sh", COPY_SH);
    chmod(&p, "copy.sh", 0o644);
    p.write("f.rnx", COPY_PIPELINE);
    let refused = p.rnx(&["run", "f.rnx"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = stderr(&refused);
    assert!(
        err.contains("stage `copied` failed") && err.contains("is not executable") && err.contains("chmod +x"),
        "{err}"
    );
    assert_eq!(entries(&p), 1);

    chmod(&p, "copy.sh", 0o755);
    let run = p.rnx(&["run", "f.rnx"]);
    ok(&run);
    assert_eq!(ran(&run), ["all", "copied"]);
    let shown = stdout(&p.rnx(&["show", "f.rnx", "all"]));
    assert!(shown.contains("2 rows") && shown.contains("name"), "{shown}");
    assert!(ran(&p.rnx(&["run", "f.rnx"])).is_empty());
}

#[test]
fn the_interpreters_version_is_part_of_the_key() {
    let p = Project::new();
    p.write("raw.csv", "x\n1\n");
    p.write("copy.sh", COPY_SH);
    let interpreter = |version: &str| {
        p.write(
            "fakesh",
            &format!("#!/bin/sh\nif [ \"$1\" = --version ]; then echo '{version}'; exit 0; fi\nexec /bin/sh \"$@\"\n"),
        );
        chmod(&p, "fakesh", 0o755);
    };
    interpreter("FakeSh 1.0");
    p.write(
        "f.rnx",
        &COPY_PIPELINE.replace("outputs = [", "interpreter = \"./fakesh\"  outputs = ["),
    );
    ok(&p.rnx(&["run", "f.rnx"]));
    assert!(ran(&p.rnx(&["run", "f.rnx"])).is_empty());
    interpreter("FakeSh 2.0");
    let run = p.rnx(&["run", "f.rnx"]);
    ok(&run);
    assert_eq!(ran(&run), ["copied"], "the same table: `all` stays cached");
    let why = reasons_for(&run, "copied");
    assert!(
        why.contains("interpreter version") && why.contains("FakeSh 2.0"),
        "{why}"
    );
}

#[test]
fn an_interpreter_that_is_not_there_is_a_clear_error() {
    let p = Project::new();
    p.write("raw.csv", "x\n1\n");
    p.write("copy.sh", COPY_SH);
    p.write(
        "f.rnx",
        &COPY_PIPELINE.replace("outputs = [", "interpreter = \"no-such-python-rnx\"  outputs = ["),
    );
    assert_eq!(p.rnx(&["check", "f.rnx"]).status.code(), Some(0), "check runs nothing");
    let run = p.rnx(&["run", "f.rnx"]);
    assert_eq!(run.status.code(), Some(1));
    let err = stderr(&run);
    assert!(
        err.contains("copied") && err.contains("`no-such-python-rnx` is not on PATH"),
        "{err}"
    );
    assert_eq!(entries(&p), 1);
    staging_is_empty(&p);
}

#[test]
fn free_form_params_are_checked_for_plain_values() {
    let p = Project::new();
    p.write("copy.sh", COPY_SH);
    p.write(
        "f.rnx",
        "data a = script { path = \"copy.sh\"  params = { alpha = 0.5  nested = { k = [1, \"two\", true] }  w = 20 ms } }\n",
    );
    ok(&p.rnx(&["check", "f.rnx"]));
    p.write(
        "g.rnx",
        "data a = script { path = \"copy.sh\"  params = { method = ridge  x = 1  x = 2 } }\n",
    );
    let bad = p.rnx(&["check", "g.rnx"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = stderr(&bad);
    assert!(err.contains("write text in quotes"), "{err}");
    assert!(err.contains("`x`"), "{err}");
}

#[test]
fn a_pack_carries_the_script_and_its_depends_and_verify_reruns_it() {
    let a = Project::new();
    a.write("raw.csv", "x\n1\n2\n");
    a.write("copy.sh", COPY_SH);
    a.write("notes.txt", "read by the script\n");
    a.write(
        "f.rnx",
        // Packs do not keep the executable bit, so the packed script names its interpreter.
        &COPY_PIPELINE.replace(
            "outputs = [",
            "interpreter = \"sh\"  depends = [\"notes.txt\"]  outputs = [",
        ),
    );
    ok(&a.rnx(&["run", "f.rnx"]));
    ok(&a.rnx(&["pack", "f.rnx", "-o", "f.rnxpack", "--with-inputs"]));
    let b = Project::new();
    let pack = a.path("f.rnxpack");
    ok(&b.rnx(&["unpack", pack.to_str().unwrap(), "got"]));
    for file in ["copy.sh", "notes.txt"] {
        assert!(b.path("got").join(file).is_file(), "{file} is not in the pack");
    }
    let run = b.rnx(&["run", "got/f.rnx"]);
    ok(&run);
    assert!(ran(&run).is_empty(), "stages ran after unpack: {:?}", ran(&run));
    let verify = b.rnx(&["verify", "got/f.rnx"]);
    ok(&verify);
    assert!(
        stdout(&verify).contains("identical         copied"),
        "{}",
        stdout(&verify)
    );

    b.write("got/notes.txt", "edited\n");
    let edited = b.rnx(&["run", "got/f.rnx"]);
    ok(&edited);
    assert_eq!(ran(&edited), ["copied"]);
    assert!(
        reasons_for(&edited, "copied").contains("depends[0]"),
        "{}",
        stderr(&edited)
    );
}
