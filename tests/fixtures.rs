//! Fixture tests: every `.rnx` under `tests/fixtures/bad` must be rejected with the snapshotted
//! diagnostics, and every one under `tests/fixtures/good` must plan to the snapshotted plan.
//! Update snapshots with `INSTA_UPDATE=always cargo test --release --test fixtures` and review them.

mod common;

use common::{FrontResult, front_end};
use std::path::{Path, PathBuf};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new("tests/fixtures").join(dir))
        .expect("fixture folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rnx"))
        .collect();
    files.sort();
    files
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("fixtures/snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// `--set` overrides a fixture asks for, from `# set: NAME.PARAM=VALUE` lines at its top.
fn sets_of(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("# set: "))
        .map(|s| s.trim().to_string())
        .collect()
}

#[test]
fn bad_fixtures_are_rejected_with_their_diagnostics() {
    let files = fixtures("bad");
    assert!(
        files.len() >= 30,
        "expected at least 30 bad fixtures, found {}",
        files.len()
    );
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let sets = sets_of(&path);
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        match front_end(&path, &sets) {
            FrontResult::Planned(plan) => panic!("{} was accepted:\n{plan}", path.display()),
            FrontResult::Rejected(text) => settings().bind(|| insta::assert_snapshot!(format!("bad__{name}"), text)),
        }
    }
}

#[test]
fn good_fixtures_plan_as_snapshotted() {
    let files = fixtures("good");
    assert!(
        files.len() >= 10,
        "expected at least 10 good fixtures, found {}",
        files.len()
    );
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let sets = sets_of(&path);
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        match front_end(&path, &sets) {
            FrontResult::Rejected(text) => panic!("{} was rejected:\n{text}", path.display()),
            FrontResult::Planned(plan) => settings().bind(|| insta::assert_snapshot!(format!("good__{name}"), plan)),
        }
    }
}
