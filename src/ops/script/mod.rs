//! `script`: runs a user's own program (Python, R, Julia, any executable) as a cached stage.
//!
//! The program reads `request.json` (its path in `$RNX_REQUEST`: inputs' Parquet files,
//! parameters, coordinates, seed, output paths) and writes each declared output as
//! `$RNX_OUTPUT_DIR/NAME.parquet`. rnx checks and rewrites those tables as the stage's outputs.
//! The key holds the script's content, the interpreter's version (`key_material`), the
//! parameters and the inputs' content, like any stage's.

mod child;
mod interpreter;
mod request;

use crate::ops::shapes::{FileSchemas, ParamProblem, TableShape, Writes};
use crate::ops::{OpError, StageContext, StageOp};
use crate::params::Params;
use crate::schema::{DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::value::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use request::FORMAT as REQUEST_FORMAT;

pub struct Script;

/// The log of the program's standard output and error, kept in the entry.
pub const LOG: &str = "script.log";

static SCHEMA: OpSchema = OpSchema {
    name: "script",
    kinds: &[DeclKind::Data, DeclKind::Analysis],
    version: 1,
    doc: "Runs your own program (Python, R, Julia, any executable) on its inputs' Parquet tables; it writes Parquet tables that later stages read.",
    inputs: &[InputSpec {
        name: "inputs",
        accepts: &[DeclKind::Data, DeclKind::Train, DeclKind::Analysis],
        required: false,
        many: true,
        doc: "The stages whose outputs the program reads: one, a list `[a, b]` or a family `fit[*]`; listed in `request.json` in that order.",
        reads: &[],
    }],
    params: &[
        ParamSpec::required(
            "path",
            ParamType::Path,
            "The program, relative to the .rnx file; its content is part of the key. It runs in a fresh empty folder, with $RNX_REQUEST (request.json: stage, seed, coords, params, inputs with each table's Parquet path, output_dir, outputs), $RNX_OUTPUT_DIR, $RNX_SEED, $RNX_STAGE and $RNX_SCRIPT_DIR (its own folder) set.",
        ),
        ParamSpec::new(
            "interpreter",
            ParamType::Str,
            "\"\"",
            "The program that runs it (`python3`, `Rscript`, `julia`): a name on PATH or a path relative to the script's folder; its `--version` output (or, failing that, its binary's hash) is part of the key. Empty runs the file itself, which must be executable.",
        ),
        ParamSpec::new(
            "args",
            ParamType::List(&ParamType::Str),
            "[]",
            "Further arguments, after the script's path.",
        ),
        ParamSpec::new(
            "outputs",
            ParamType::List(&ParamType::Str),
            "[\"data\"]",
            "The tables it must write, each as $RNX_OUTPUT_DIR/NAME.parquet. A missing one, one that is not Parquet, or any other file there fails the stage.",
        ),
        ParamSpec::new(
            "params",
            ParamType::FreeBlock,
            "{}",
            "Anything the program should receive, as `params` in request.json (quantities in SI units).",
        ),
        ParamSpec::new(
            "depends",
            ParamType::List(&ParamType::Path),
            "[]",
            "Other files the program reads (modules, lookup tables), relative to the .rnx file; their content is part of the key.",
        ),
    ],
    outputs: &[
        OutputSpec {
            name: "NAME (each of `outputs`)",
            doc: "The program's table, read back and rewritten by rnx with the sweep coordinates in front.",
            columns: &[],
        },
        OutputSpec {
            name: "script.log",
            doc: "Its standard output and error; volatile (kept, not part of the content hash).",
            columns: &[],
        },
    ],
};

impl StageOp for Script {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    /// The tables named in `outputs`; their columns are the program's to choose.
    fn writes(&self, params: &Params, _files: &dyn FileSchemas) -> Result<Writes, ParamProblem> {
        let names = params
            .list_str("outputs")
            .and_then(output_names)
            .map_err(|e| ParamProblem::new("outputs", e.to_string()))?;
        Ok(Writes::Known {
            tables: names
                .into_iter()
                .map(|name| TableShape {
                    name,
                    columns: Vec::new(),
                    complete: false,
                })
                .collect(),
            files: vec![LOG.to_string()],
        })
    }

    fn key_material(&self, params: &Params) -> Result<Vec<(String, String)>, String> {
        let Some(Value::Str(name)) = params
            .get("interpreter")
            .filter(|v| !matches!(v, Value::Str(s) if s.is_empty()))
        else {
            return Ok(Vec::new());
        };
        let script = match params.get("path") {
            Some(Value::Str(p)) => request::absolute(Path::new(p)),
            _ => return Err("`script` has no `path`".into()),
        };
        let exe = interpreter::resolve(name, folder_of(&script))?;
        Ok(vec![("interpreter version".into(), interpreter::version(&exe)?)])
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let script = request::absolute(Path::new(ctx.params.str("path")?));
        let shown = script
            .file_name()
            .map_or(script.display().to_string(), |n| n.to_string_lossy().into());
        let outputs = output_names(ctx.params.list_str("outputs")?)?;
        if !script.is_file() {
            return Err(OpError::invalid(format!(
                "the script `{}` does not exist",
                script.display()
            )));
        }
        let mut command = match ctx.params.str("interpreter")? {
            "" if !interpreter::is_executable(&script) => {
                return Err(OpError::invalid(format!(
                    "the script `{}` is not executable: `chmod +x` it, or set `interpreter`",
                    script.display()
                )));
            }
            "" => Command::new(&script),
            name => {
                let mut c = Command::new(interpreter::resolve(name, folder_of(&script)).map_err(OpError::Invalid)?);
                c.arg(&script);
                c
            }
        };
        command.args(ctx.params.list_str("args")?);
        let inputs = if ctx.has_input("inputs") {
            ctx.stage_inputs("inputs")?.to_vec()
        } else {
            Vec::new()
        };
        let scratch = Scratch(ctx.scratch_dir("script")?);
        let out_dir = scratch.0.join("out");
        create_dir(&out_dir)?;
        let out_dir = request::absolute(&out_dir);
        let free = ctx
            .params
            .get("params")
            .cloned()
            .unwrap_or(Value::Block(Default::default()));
        let request_json = request::Request {
            stage: ctx.stage,
            seed: ctx.seed,
            coords: ctx.coords,
            params: &free,
            inputs: &inputs,
            output_dir: &out_dir,
            outputs: &outputs,
        }
        .to_json()?;
        let request_path = request::absolute(&scratch.0).join("request.json");
        std::fs::write(&request_path, request_json).map_err(|source| OpError::Io {
            action: "write",
            path: request_path.clone(),
            source,
        })?;
        command
            .current_dir(&scratch.0)
            .env("RNX_REQUEST", &request_path)
            .env("RNX_OUTPUT_DIR", &out_dir)
            .env("RNX_SEED", ctx.seed.to_string())
            .env("RNX_STAGE", ctx.stage)
            .env("RNX_SCRIPT_DIR", folder_of(&script));
        let log = scratch.0.join(LOG);
        ctx.progress(0, 1, &format!("running {shown}"));
        let ended = child::run(command, &log, &|| ctx.check_interrupted().is_err())?;
        let fail = |what: String| OpError::Invalid(with_tail(what, &ended.stderr_tail));
        if !ended.status.success() {
            use std::os::unix::process::ExitStatusExt;
            return Err(fail(match (ended.status.code(), ended.status.signal()) {
                (Some(code), _) => format!("`{shown}` exited with code {code}"),
                (None, Some(signal)) => format!("`{shown}` was killed by signal {signal}"),
                _ => format!("`{shown}` failed ({})", ended.status),
            }));
        }
        let tables = read_outputs(&out_dir, &outputs, &shown).map_err(fail)?;
        for (name, table) in outputs.iter().zip(tables) {
            ctx.write_table(name, table)?;
        }
        ctx.adopt_file(LOG, &log, true)?;
        ctx.progress(1, 1, "done");
        Ok(())
    }
}

/// The declared outputs, checked: at least one, each a plain name, none twice.
fn output_names(names: Vec<String>) -> Result<Vec<String>, OpError> {
    if names.is_empty() {
        return Err(OpError::invalid(
            "`outputs` is empty; a script must write at least one table",
        ));
    }
    for (i, name) in names.iter().enumerate() {
        let mut chars = name.chars();
        let plain = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return Err(OpError::invalid(format!(
                "output name `{name}` is not a plain name (letters, digits and `_`, not starting with a digit)"
            )));
        }
        if names[..i].contains(name) {
            return Err(OpError::invalid(format!(
                "output `{name}` is listed twice in `outputs`"
            )));
        }
    }
    Ok(names)
}

/// Reads each declared output back, refusing missing, unreadable and undeclared files.
fn read_outputs(out_dir: &Path, outputs: &[String], shown: &str) -> Result<Vec<arrow_array::RecordBatch>, String> {
    let mut found: Vec<String> = std::fs::read_dir(out_dir)
        .map_err(|e| format!("cannot read the output folder `{}`: {e}", out_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    found.sort();
    let expected: Vec<String> = outputs.iter().map(|n| format!("{n}.parquet")).collect();
    if let Some(extra) = found.iter().find(|f| !expected.contains(f)) {
        return Err(format!(
            "`{shown}` wrote `{extra}` into the output folder, which is not one of its outputs ({}); add it to `outputs` or write it elsewhere",
            expected.join(", ")
        ));
    }
    let mut tables = Vec::with_capacity(outputs.len());
    for (name, file) in outputs.iter().zip(&expected) {
        if !found.contains(file) {
            return Err(format!(
                "`{shown}` exited without writing its output `{name}` ({})",
                out_dir.join(file).display()
            ));
        }
        let table = crate::table::read_parquet(&out_dir.join(file))
            .map_err(|e| format!("`{shown}` wrote `{file}`, which is not a valid Parquet file: {e}"))?;
        tables.push(table);
    }
    Ok(tables)
}

/// A failure's message followed by the last lines of the program's standard error.
fn with_tail(what: String, tail: &[String]) -> String {
    if tail.is_empty() {
        return format!("{what}; it wrote nothing to standard error");
    }
    let mut out = format!("{what}; the last lines of its standard error:");
    for line in tail {
        out.push_str("\n  | ");
        out.push_str(line);
    }
    out
}

fn folder_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("/"))
}

fn create_dir(dir: &Path) -> Result<(), OpError> {
    std::fs::create_dir_all(dir).map_err(|source| OpError::Io {
        action: "create",
        path: dir.to_path_buf(),
        source,
    })
}

/// The scratch folder, removed however the stage ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_must_be_plain_distinct_and_present() {
        assert!(output_names(vec!["summary".into(), "per_unit".into()]).is_ok());
        assert!(output_names(vec![]).is_err());
        assert!(output_names(vec!["../x".into()]).is_err());
        assert!(output_names(vec!["1st".into()]).is_err());
        let twice = output_names(vec!["a".into(), "a".into()]).unwrap_err().to_string();
        assert!(twice.contains("twice"), "{twice}");
    }

    #[test]
    fn a_tail_is_quoted_line_by_line() {
        let text = with_tail("`a.py` exited with code 3".into(), &["boom".into()]);
        assert_eq!(
            text,
            "`a.py` exited with code 3; the last lines of its standard error:\n  | boom"
        );
    }
}
