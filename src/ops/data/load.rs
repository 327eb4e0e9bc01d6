//! `load`: brings a user's Parquet or CSV file into the pipeline as a table.
//!
//! The file's content, not its name, is part of the cache key: editing the file reruns the stage,
//! and moving it does not.

use crate::ops::shapes::{FileSchemas, ParamProblem, TableShape, Writes, is_table_name};
use crate::ops::{OpError, StageContext, StageOp};
use crate::params::Params;
use crate::schema::{DeclKind, OpSchema, OutputSpec, ParamSpec, ParamType};
use arrow_array::RecordBatch;
use std::path::Path;
use std::sync::Arc;

pub struct Load;

static SCHEMA: OpSchema = OpSchema {
    name: "load",
    kinds: &[DeclKind::Data],
    version: 1,
    doc: "Reads a Parquet or CSV file (with a header row) into the pipeline; keyed by the file's content.",
    inputs: &[],
    params: &[
        ParamSpec::required(
            "path",
            ParamType::Path,
            "The file, relative to the .rnx file that names it.",
        ),
        ParamSpec::new(
            "format",
            ParamType::Enum(&["auto", "parquet", "csv"]),
            "auto",
            "File format; auto goes by the extension.",
        ),
        ParamSpec::new(
            "table",
            ParamType::Str,
            "\"data\"",
            "The name of the table written. `\"trials\"` makes the file a trials table for `nonparametric`, `swap_curve` and `train`.",
        ),
    ],
    outputs: &[OutputSpec {
        name: "data",
        doc: "The file's rows and columns (CSV column types are inferred), under the name `table` gives (default `data`).",
        columns: &[],
    }],
};

impl StageOp for Load {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    /// The table named by `table`, with exactly the file's columns (read from its footer or
    /// header, not its data).
    fn writes(&self, params: &Params, files: &dyn FileSchemas) -> Result<Writes, ParamProblem> {
        let table = table_name(params).map_err(|e| ParamProblem::new("table", e.to_string()))?;
        let path = params
            .str("path")
            .map_err(|e| ParamProblem::new("path", e.to_string()))?;
        let format = params
            .str("format")
            .map_err(|e| ParamProblem::new("format", e.to_string()))?;
        let schema = files
            .schema(Path::new(path), format)
            .map_err(|message| ParamProblem::new("path", message))?;
        Ok(Writes::Known {
            tables: vec![TableShape {
                name: table,
                columns: schema.columns,
                complete: true,
            }],
            files: Vec::new(),
        })
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let path = Path::new(ctx.params.str("path")?).to_path_buf();
        let table = table_name(ctx.params)?;
        let batch = read_file(&path, ctx.params.str("format")?)?;
        ctx.write_table(&table, batch)
    }
}

/// The `table` parameter, checked to be a plain name.
fn table_name(params: &Params) -> Result<String, OpError> {
    let table = params.str("table")?;
    if !is_table_name(table) {
        return Err(OpError::invalid(format!(
            "`table = \"{table}\"`: a table name is letters, digits and `_`"
        )));
    }
    Ok(table.to_string())
}

/// Reads a Parquet or CSV file; `format` is `parquet`, `csv` or `auto` (by the extension).
pub fn read_file(path: &Path, format: &str) -> Result<RecordBatch, OpError> {
    let format = crate::table::format_of(path, format).map_err(OpError::invalid)?;
    match format {
        "parquet" => crate::table::read_parquet(path).map_err(|e| OpError::invalid(e.to_string())),
        _ => read_csv(path),
    }
}

/// Reads a CSV file with a header row, inferring column types.
pub fn read_csv(path: &Path) -> Result<RecordBatch, OpError> {
    use arrow_csv::reader::{Format, ReaderBuilder};
    let bad = |what: String| OpError::invalid(format!("`{}` is not a readable CSV file: {what}", path.display()));
    let open =
        || std::fs::File::open(path).map_err(|e| OpError::invalid(format!("cannot read `{}`: {e}", path.display())));
    let format = Format::default().with_header(true);
    let (schema, records) = format.infer_schema(open()?, None).map_err(|e| bad(e.to_string()))?;
    if schema.fields().is_empty() || records == 0 {
        return Err(bad("it has no columns or no rows".into()));
    }
    let schema = Arc::new(schema);
    let reader = ReaderBuilder::new(schema.clone())
        .with_format(format)
        .build(open()?)
        .map_err(|e| bad(e.to_string()))?;
    let mut batches = Vec::new();
    for batch in reader {
        batches.push(batch.map_err(|e| bad(e.to_string()))?);
    }
    arrow_select::concat::concat_batches(&schema, &batches).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_csv_with_inferred_types() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(&p, "cue,response,who\n1.5,0.25,a\n2,1,b\n").unwrap();
        let batch = read_csv(&p).unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema().field(0).data_type(), &arrow_schema::DataType::Float64);
        assert_eq!(batch.schema().field(2).data_type(), &arrow_schema::DataType::Utf8);
    }

    #[test]
    fn malformed_or_empty_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let ragged = dir.path().join("r.csv");
        std::fs::write(&ragged, "a,b\n1,2,3,4\n").unwrap();
        assert!(read_csv(&ragged).is_err());
        let empty = dir.path().join("e.csv");
        std::fs::write(&empty, "").unwrap();
        assert!(read_csv(&empty).is_err());
        assert!(read_csv(&dir.path().join("missing.csv")).is_err());
    }
}
