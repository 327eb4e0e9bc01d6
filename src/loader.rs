//! Reading a pipeline's files: the main `.rnx` file and, transitively, every file it `use`s.
//!
//! This is the front end's only I/O. Each file is parsed as soon as it is read.

use crate::ast::{Item, Module, Override};
use crate::check::CheckError;
use crate::check::diagnostic::Diagnostic;
use crate::source::{SourceFile, Sources};
use crate::syntax::{parse_module, parse_override};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The parsed files of one pipeline. `modules[0]` is the main file.
pub struct Loaded {
    pub sources: Sources,
    pub modules: Vec<Module>,
}

/// Why a pipeline could not be loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    #[error("cannot read `{path}`: {source}")]
    #[diagnostic(code(rnx::load::read))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Reads and parses `path` and its `use`d files. Syntax and `use` errors come back as diagnostics,
/// together with the sources they point into.
pub fn load(path: &Path) -> Result<(Loaded, Vec<Diagnostic>), LoadError> {
    let text = read_text(path)?;
    let mut sources = Sources::default();
    let mut modules = Vec::new();
    let mut diagnostics = Vec::new();
    let mut seen = BTreeSet::new();
    seen.insert(canonical(path));
    let mut queue = vec![(path.to_path_buf(), text)];
    while let Some((file_path, text)) = queue.pop() {
        let id = sources.add(SourceFile {
            name: display_name(&file_path),
            path: Some(file_path.clone()),
            text: text.into(),
        });
        let module = match parse_module(id, &sources.get(id).text.clone()) {
            Ok(m) => m,
            Err(errors) => {
                diagnostics.extend(errors.into_iter().map(|e| Diagnostic::syntax(id, e)));
                continue;
            }
        };
        let dir = file_path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut uses = Vec::new();
        for item in &module.items {
            if let Item::Use(u) = item {
                let target = dir.join(&u.path);
                if !seen.insert(canonical(&target)) {
                    continue;
                }
                match read_text(&target) {
                    Ok(t) => uses.push((target, t)),
                    Err(LoadError::Read { source, .. }) => diagnostics.push(Diagnostic::check(
                        id,
                        CheckError::UseFile {
                            path: u.path.clone(),
                            reason: source.to_string(),
                            at: u.span.miette(),
                        },
                    )),
                }
            }
        }
        // Files are processed in the order they are named; the stack is reversed for that.
        queue.extend(uses.into_iter().rev());
        modules.push(module);
    }
    Ok((Loaded { sources, modules }, diagnostics))
}

/// Parses `--set NAME.PARAM=VALUE` arguments, each as a source of its own.
pub fn parse_overrides(sources: &mut Sources, sets: &[String]) -> (Vec<Override>, Vec<Diagnostic>) {
    let mut overrides = Vec::new();
    let mut errors = Vec::new();
    for text in sets {
        let id = sources.add(SourceFile {
            name: "--set".into(),
            path: None,
            text: text.as_str().into(),
        });
        match parse_override(id, text) {
            Ok(ov) => overrides.push(ov),
            Err(e) => errors.push(Diagnostic::syntax(id, e)),
        }
    }
    (overrides, errors)
}

fn read_text(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.into(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| LoadError::Read {
        path: path.into(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8 text ({e})")),
    })
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn display_name(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
