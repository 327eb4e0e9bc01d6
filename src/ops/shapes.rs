//! The tables a stage reads and writes, as far as they are known before it runs: what the
//! checker matches across every edge of the plan, so that a missing table or column is a check
//! error rather than a failure after upstream stages ran.

use crate::params::Params;
use crate::schema::{ColumnKind, OpSchema, OutputSpec};
use std::path::Path;

/// A table a stage reads from one of its inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRead {
    /// The input (`InputSpec::name`) it is read from.
    pub input: String,
    pub table: String,
    /// The columns it needs, each with the kind of values it must hold.
    pub columns: Vec<(String, ColumnKind)>,
    /// The parameter whose value named the table, where one did: an error points at that value.
    pub named_by: Option<&'static str>,
    /// Not needed from an input that writes this file (`swap_curve` runs a network that wrote
    /// `weights.safetensors`, and reads `trials` from anything else).
    pub unless_file: Option<&'static str>,
}

/// A table a stage writes.
#[derive(Debug, Clone, PartialEq)]
pub struct TableShape {
    pub name: String,
    /// Columns known to be there, with their kinds where known (a CSV header names no kinds).
    pub columns: Vec<(String, Option<ColumnKind>)>,
    /// Whether `columns` is all of them; otherwise the stage may write others (named by its
    /// parameters), and a column that is not listed cannot be called missing.
    pub complete: bool,
}

/// What a stage writes, where that is known before it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Writes {
    /// Its tables, and its other files by name.
    Known {
        tables: Vec<TableShape>,
        files: Vec<String>,
    },
    /// Only running tells (a `script` whose outputs are the program's to choose).
    Unknown,
}

/// Why a stage's writes cannot be told: a problem with one of its parameters' values.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamProblem {
    pub param: &'static str,
    pub message: String,
}

impl ParamProblem {
    pub fn new(param: &'static str, message: impl Into<String>) -> ParamProblem {
        ParamProblem {
            param,
            message: message.into(),
        }
    }
}

/// The columns of a user's file, read without reading its data.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSchema {
    pub columns: Vec<(String, Option<ColumnKind>)>,
}

/// Reads a file's schema: a Parquet footer, or a CSV header. The front end's one piece of I/O,
/// kept behind this interface so that checking itself reads nothing.
pub trait FileSchemas {
    /// `format` is `load`'s: `auto` (by the extension), `parquet` or `csv`.
    fn schema(&self, path: &Path, format: &str) -> Result<FileSchema, String>;
}

/// The reads an operator's schema declares on its inputs (`InputSpec::reads`).
pub fn declared_reads(schema: &OpSchema) -> Vec<TableRead> {
    schema
        .inputs
        .iter()
        .flat_map(|input| {
            input.reads.iter().map(|need| TableRead {
                input: input.name.to_string(),
                table: need.table.to_string(),
                columns: need.columns.iter().map(|c| (c.name.to_string(), c.kind)).collect(),
                named_by: None,
                unless_file: need.unless_file,
            })
        })
        .collect()
}

/// The outputs an operator's schema declares: its tables (names without an extension), each with
/// its declared columns and open to others, and its other files.
pub fn declared_writes(schema: &OpSchema) -> Writes {
    let (tables, files): (Vec<&OutputSpec>, Vec<&OutputSpec>) =
        schema.outputs.iter().partition(|o| is_table_name(o.name));
    Writes::Known {
        tables: tables
            .into_iter()
            .map(|o| TableShape {
                name: o.name.to_string(),
                columns: o
                    .columns
                    .iter()
                    .map(|c| (c.name.to_string(), Some(ColumnKind::of_type_name(c.ty))))
                    .collect(),
                complete: false,
            })
            .collect(),
        files: files.into_iter().map(|o| o.name.to_string()).collect(),
    }
}

/// Whether an output name names a table (`curve`) rather than a file (`weights.safetensors`).
pub fn is_table_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The read of an operator whose parameter `param` names the table it takes from `input`
/// (`pca`'s, `concat`'s and `compare`'s `table`); none where the parameter is empty (which
/// means "the input's first table") or absent.
pub fn table_named_by(input: &str, params: &Params, param: &'static str) -> Vec<TableRead> {
    match params.str(param) {
        Ok(table) if !table.is_empty() => vec![TableRead {
            input: input.to_string(),
            table: table.to_string(),
            columns: Vec::new(),
            named_by: Some(param),
            unless_file: None,
        }],
        _ => Vec::new(),
    }
}
