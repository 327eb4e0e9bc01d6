//! Helpers shared by the integration tests: running the front end on a file, and driving the binary.

#![allow(dead_code)]

use rnx::check::diagnostic::render_plain;
use rnx::check::{CheckOptions, check};
use rnx::loader::{load, parse_overrides};
use rnx::plan::{check_tables, plan};
use rnx::table::FileSchemaReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The result of the front end on a file: the plan's description, or the rendered diagnostics.
pub enum FrontResult {
    Planned(String),
    Rejected(String),
}

pub fn front_end(path: &Path, sets: &[&str]) -> FrontResult {
    let (loaded, mut diags) = match load(path) {
        Ok(l) => l,
        Err(e) => return FrontResult::Rejected(e.to_string()),
    };
    let mut sources = loaded.sources;
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let (overrides, errs) = parse_overrides(&mut sources, &sets);
    diags.extend(errs);
    if !diags.is_empty() {
        return FrontResult::Rejected(render_plain(&diags, &sources));
    }
    match check(
        &sources,
        &loaded.modules,
        &CheckOptions {
            profile: None,
            overrides,
        },
    ) {
        Ok(p) => {
            let plan = plan(&p);
            let table_errors = check_tables(&p, &plan, &FileSchemaReader::default());
            if table_errors.is_empty() {
                FrontResult::Planned(plan.describe())
            } else {
                FrontResult::Rejected(render_plain(&table_errors, &p.sources))
            }
        }
        Err(d) => FrontResult::Rejected(render_plain(&d, &sources)),
    }
}

/// A scratch project: a folder with pipeline files and a cache, driving the real `rnx` binary.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write file");
        p
    }

    pub fn cache(&self) -> PathBuf {
        self.path("cache")
    }

    /// Runs `rnx ARGS` in the project folder with its cache; plain output.
    pub fn rnx(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run rnx")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rnx"));
        c.current_dir(self.dir.path())
            .args(args)
            .env("RNX_CACHE", self.cache())
            .env("RNX_PLAIN", "1")
            // A stage that writes a table its operator does not declare fails (see exec::worker).
            .env("RNX_CHECK_WRITES", "1")
            .env("NO_COLOR", "1");
        c
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The instance names a run executed, from its plain progress lines (`run     NAME  (reasons)`).
pub fn ran(o: &Output) -> Vec<String> {
    let mut names: Vec<String> = stderr(o)
        .lines()
        .filter_map(|l| l.strip_prefix("run     "))
        .map(|l| l.split("  (").next().unwrap_or(l).trim().to_string())
        .collect();
    names.sort();
    names
}

/// The reasons printed for one instance in a run.
pub fn reasons_for(o: &Output, name: &str) -> String {
    let prefix = format!("run     {name}  (");
    stderr(o)
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).map(|r| r.trim_end_matches(')').to_string()))
        .unwrap_or_default()
}

/// Asserts that a command succeeded, showing its output if not.
pub fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "rnx failed:\nstdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

/// The cells of a column of a table printed by `rnx show` (its header is on line 2).
pub fn column_text(shown: &str, name: &str) -> Vec<String> {
    let mut lines = shown.lines().skip(1);
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    let idx = header
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("no column {name} in {shown}"));
    lines
        .filter_map(|l| l.split_whitespace().nth(idx).map(str::to_string))
        .collect()
}

/// A column of a table printed by `rnx show`, as floats (cells that are not numbers are skipped).
pub fn column(shown: &str, name: &str) -> Vec<f64> {
    column_text(shown, name).iter().filter_map(|v| v.parse().ok()).collect()
}
