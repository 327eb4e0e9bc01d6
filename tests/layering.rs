//! Tidy test of the layering: each top-level module of `src/` names (as `crate::X`) only the modules
//! the table below allows it, so that imports go one way, down. It reads the source text, comments
//! included, and names the file and line of each import of a module not allowed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Any module: the command line sits on top of everything.
const ANY: &[&str] = &["*"];

/// The allowed dependencies, bottom to top: each top-level module of `src/` (a folder or a `.rs`
/// file) and the modules it may name as `crate::X` (`main.rs`, the binary, as `rnx::X`). A module
/// may always name itself. Two entries still point up; they are marked, and are not to be copied.
const ALLOWED: &[(&str, &[&str])] = &[
    // Foundations.
    ("units", &[]),
    ("value", &["units"]),
    ("source", &[]),
    ("rng", &[]),
    ("figure", &[]),
    ("schema", &["units", "value"]),
    ("trialspec", &["rng"]),
    // The front end's syntax.
    ("ast", &["schema", "source", "trialspec"]),
    ("syntax", &["ast", "schema", "source"]),
    // Types shared by the operators and the neural core, below both.
    ("trial_batch", &[]),
    ("op_error", &["table"]),
    ("params", &["op_error", "units", "value"]),
    ("op_params", &["op_error", "params", "schema"]),
    ("definition", &["params"]),
    // Up: `table/file_schema.rs` implements `ops::shapes::FileSchemas`.
    ("table", &["ops", "schema"]),
    ("numerics", &["rng"]),
    ("cache", &["value"]),
    // The neural core: never the operators, the checker, the planner, the executor or the CLI.
    (
        "nn",
        &[
            "numerics",
            "definition",
            "op_error",
            "params",
            "rng",
            "trial_batch",
            "value",
        ],
    ),
    // Operators. Up: `ops::default_params` fills defaults with `check::default_value`.
    (
        "ops",
        &[
            "numerics",
            "cache",
            "check",
            "definition",
            "figure",
            "nn",
            "op_error",
            "op_params",
            "params",
            "rng",
            "schema",
            "table",
            "trial_batch",
            "trialspec",
            "units",
            "value",
        ],
    ),
    // The front end: checking, loading and planning; never the executor, the cache or the CLI.
    (
        "check",
        &[
            "ast",
            "ops",
            "schema",
            "source",
            "syntax",
            "trialspec",
            "units",
            "value",
        ],
    ),
    ("loader", &["ast", "check", "source", "syntax"]),
    ("plan", &["check", "ops", "params", "schema", "source", "value"]),
    // Running, reporting and sharing.
    (
        "exec",
        &["cache", "ops", "params", "plan", "schema", "source", "table", "value"],
    ),
    (
        "report",
        &[
            "numerics", "cache", "exec", "figure", "ops", "plan", "rng", "schema", "table", "value",
        ],
    ),
    (
        "share",
        &[
            "cache", "exec", "ops", "params", "plan", "schema", "source", "table", "value",
        ],
    ),
    // The command line, and the binary that calls it.
    ("cli", ANY),
    ("main", &["cli"]),
    ("lib", &[]),
];

/// One import of a module not allowed.
#[derive(Debug, PartialEq)]
struct Violation {
    line: usize,
    module: String,
}

fn allowed(module: &str) -> Option<&'static [&'static str]> {
    ALLOWED.iter().find(|(m, _)| *m == module).map(|(_, deps)| *deps)
}

/// The modules named as `{prefix}X` in `text`, with their 1-based lines.
fn mentions(text: &str, prefix: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        let mut offset = 0;
        while let Some(at) = rest.find(prefix) {
            let before = line[..offset + at].chars().next_back();
            let after = &rest[at + prefix.len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
                out.push((i + 1, name));
            }
            offset += at + prefix.len();
            rest = &line[offset..];
        }
    }
    out
}

/// The imports in `text`, a file of the top-level module `module`, that the table does not allow.
fn violations(module: &str, text: &str) -> Vec<Violation> {
    let deps = allowed(module).unwrap_or(&[]);
    let prefix = if module == "main" { "rnx::" } else { "crate::" };
    mentions(text, prefix)
        .into_iter()
        .filter(|(_, name)| name != module && !deps.contains(&"*") && !deps.contains(&name.as_str()))
        .map(|(line, module)| Violation { line, module })
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out
}

/// The top-level module a file under `src/` belongs to: its first folder, or its own name.
fn top_module(relative: &Path) -> String {
    let first = relative.components().next().expect("a path under src/");
    let first = first.as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

#[test]
fn every_module_imports_only_the_layers_below_it() {
    let src = src();
    let mut problems = Vec::new();
    for path in rust_files(&src) {
        let relative = path.strip_prefix(&src).expect("under src/");
        let module = top_module(relative);
        if allowed(&module).is_none() {
            problems.push(format!(
                "src/{}: the module `{module}` is not in the table of tests/layering.rs; add it there",
                relative.display()
            ));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        for v in violations(&module, &text) {
            problems.push(format!(
                "src/{}:{}: `{module}` may not import `{}` (allowed: {})",
                relative.display(),
                v.line,
                v.module,
                allowed(&module).unwrap_or(&[]).join(", ")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "imports against the layering:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_table_names_only_modules_that_exist() {
    let present: BTreeSet<String> = rust_files(&src())
        .iter()
        .map(|p| top_module(p.strip_prefix(src()).expect("under src/")))
        .collect();
    let named: BTreeSet<String> = ALLOWED
        .iter()
        .flat_map(|(m, deps)| std::iter::once(*m).chain(deps.iter().copied()))
        .filter(|m| *m != "*")
        .map(String::from)
        .collect();
    let stale: Vec<_> = named.difference(&present).collect();
    assert!(
        stale.is_empty(),
        "tests/layering.rs names modules that src/ lacks: {stale:?}"
    );
}

#[test]
fn an_upward_import_is_caught_with_its_line() {
    let text = "//! nn\nuse crate::rng::Rng;\nfn f() -> crate::ops::OpError { todo!() }\n";
    assert_eq!(
        violations("nn", text),
        vec![Violation {
            line: 3,
            module: "ops".into()
        }]
    );
    assert_eq!(violations("check", "use crate::exec::run;").len(), 1);
    assert_eq!(violations("plan", "use crate::cli::args;").len(), 1);
    assert!(violations("cli", "use crate::exec::run;").is_empty());
    assert_eq!(violations("main", "fn main() { rnx::exec::run() }").len(), 1);
    // `$crate::` in a macro counts; an identifier ending in `crate` does not.
    assert_eq!(violations("nn", "$crate::ops::X").len(), 1);
    assert!(violations("nn", "my_crate::ops::X").is_empty());
}
