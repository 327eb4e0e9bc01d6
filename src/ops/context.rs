//! What a running stage sees: its parameters, seed, inputs, an output folder and a progress sink.

use super::OpError;
use super::tasks::task::Task;
pub use crate::definition::Definition;
use crate::params::Params;
use crate::rng::Rng;
use crate::table::{read_parquet, write_parquet};
use crate::value::Value;
use arrow_array::{ArrayRef, RecordBatch};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A committed output of an upstream stage instance.
#[derive(Debug, Clone)]
pub struct StageOutput {
    pub stage: String,
    pub coords: Vec<(String, Value)>,
    pub dir: PathBuf,
    /// Output file names, as written by the stage.
    pub files: Vec<String>,
}

/// What one input of a stage is bound to.
#[derive(Debug, Clone)]
pub enum InputBinding {
    Definition(Definition),
    Stages(Vec<StageOutput>),
}

/// Receives progress from long-running stages. Implementations must be cheap to call.
pub trait ProgressSink: Sync {
    fn progress(&self, done: u64, total: u64, message: &str);
    /// Whether the user asked to stop; long loops should check it and return `OpError::Interrupted`.
    fn interrupted(&self) -> bool {
        false
    }
}

/// A sink that discards progress.
pub struct NoProgress;
impl ProgressSink for NoProgress {
    fn progress(&self, _: u64, _: u64, _: &str) {}
}

/// The world as one stage instance sees it.
pub struct StageContext<'a> {
    pub stage: &'a str,
    pub params: &'a Params,
    pub seed: u64,
    pub coords: &'a [(String, Value)],
    pub inputs: &'a BTreeMap<String, InputBinding>,
    /// The device class neural stages run on: `cpu` or `cuda`.
    pub device: &'a str,
    out_dir: &'a Path,
    written: Vec<String>,
    volatile: Vec<String>,
    progress: &'a dyn ProgressSink,
}

impl<'a> StageContext<'a> {
    pub fn new(
        stage: &'a str,
        params: &'a Params,
        seed: u64,
        coords: &'a [(String, Value)],
        inputs: &'a BTreeMap<String, InputBinding>,
        out_dir: &'a Path,
        progress: &'a dyn ProgressSink,
    ) -> StageContext<'a> {
        StageContext {
            stage,
            params,
            seed,
            coords,
            inputs,
            device: "cpu",
            out_dir,
            written: Vec::new(),
            volatile: Vec::new(),
            progress,
        }
    }

    /// The same context on another device class.
    pub fn on_device(mut self, device: &'a str) -> StageContext<'a> {
        self.device = device;
        self
    }

    /// A generator for a named stream of randomness, derived from the stage's seed.
    pub fn rng(&self, stream: &str) -> Rng {
        Rng::derive(self.seed, stream)
    }

    pub fn definition(&self, input: &str) -> Result<&Definition, OpError> {
        match self.inputs.get(input) {
            Some(InputBinding::Definition(def)) => Ok(def),
            _ => Err(OpError::internal(format!(
                "input `{input}` is not bound to a definition"
            ))),
        }
    }

    /// Builds the task that input `input` refers to.
    pub fn task(&self, input: &str) -> Result<Box<dyn Task>, OpError> {
        let def = self.definition(input)?;
        match super::lookup(&def.op) {
            Some(super::Operator::Task(op)) => op.build(&def.params),
            _ => Err(OpError::internal(format!("`{}` is not a task operator", def.op))),
        }
    }

    /// All stage instances bound to an input (one, or a whole family for `many` inputs).
    pub fn stage_inputs(&self, input: &str) -> Result<&[StageOutput], OpError> {
        match self.inputs.get(input) {
            Some(InputBinding::Stages(outs)) => Ok(outs),
            _ => Err(OpError::internal(format!("input `{input}` is not bound to a stage"))),
        }
    }

    /// The single stage instance bound to an input.
    pub fn stage_input(&self, input: &str) -> Result<&StageOutput, OpError> {
        match self.stage_inputs(input)? {
            [one] => Ok(one),
            many => Err(OpError::internal(format!(
                "input `{input}` has {} instances, expected one",
                many.len()
            ))),
        }
    }

    /// Whether an optional input was given.
    pub fn has_input(&self, input: &str) -> bool {
        self.inputs.contains_key(input)
    }

    /// Reads table `table` of an upstream stage.
    pub fn read_table(&self, from: &StageOutput, table: &str) -> Result<RecordBatch, OpError> {
        let file = format!("{table}.parquet");
        if !from.files.contains(&file) {
            let tables: Vec<&str> = from.files.iter().filter_map(|f| f.strip_suffix(".parquet")).collect();
            return Err(OpError::invalid(format!(
                "stage `{}` has no table `{table}` (its tables: {}){}",
                from.stage,
                if tables.is_empty() {
                    "none".to_string()
                } else {
                    tables.join(", ")
                },
                if tables.contains(&"data") {
                    format!("; a `load` stage names its table with `table = \"{table}\"`")
                } else {
                    String::new()
                }
            )));
        }
        Ok(read_parquet(&from.dir.join(file))?)
    }

    /// Writes an output table. The stage's sweep coordinates are added as leading columns.
    pub fn write_table(&mut self, name: &str, batch: RecordBatch) -> Result<(), OpError> {
        let batch = with_coordinates(batch, self.coords)?;
        let file = format!("{name}.parquet");
        write_parquet(&self.out_dir.join(&file), &batch)?;
        self.written.push(file);
        Ok(())
    }

    /// Writes a table that records how the run went rather than what it computed (wall times).
    /// It is kept, but left out of the stage's content hash.
    pub fn write_volatile_table(&mut self, name: &str, batch: RecordBatch) -> Result<(), OpError> {
        self.write_table(name, batch)?;
        self.volatile.push(format!("{name}.parquet"));
        Ok(())
    }

    /// The volatile outputs written so far.
    pub fn volatile(&self) -> &[String] {
        &self.volatile
    }

    /// Writes a non-table output file, such as model weights.
    pub fn write_file(&mut self, name: &str, bytes: &[u8]) -> Result<(), OpError> {
        let path = self.out_dir.join(name);
        std::fs::write(&path, bytes).map_err(|source| OpError::Io {
            action: "write",
            path,
            source,
        })?;
        self.written.push(name.to_string());
        Ok(())
    }

    /// A fresh, empty folder inside the staging folder for an operator's scratch files
    /// (`.NAME`). It is not an output: the operator must remove it before returning.
    pub fn scratch_dir(&self, name: &str) -> Result<PathBuf, OpError> {
        let dir = self.out_dir.join(format!(".{name}"));
        let io = |action, source| OpError::Io {
            action,
            path: dir.clone(),
            source,
        };
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| io("clear", e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| io("create", e))?;
        Ok(dir)
    }

    /// Moves a file from the scratch folder into the outputs as `name`. A volatile file is kept
    /// but left out of the stage's content hash.
    pub fn adopt_file(&mut self, name: &str, from: &Path, volatile: bool) -> Result<(), OpError> {
        let path = self.out_dir.join(name);
        std::fs::rename(from, &path).map_err(|source| OpError::Io {
            action: "move",
            path: from.to_path_buf(),
            source,
        })?;
        self.written.push(name.to_string());
        if volatile {
            self.volatile.push(name.to_string());
        }
        Ok(())
    }

    pub fn progress(&self, done: u64, total: u64, message: &str) {
        self.progress.progress(done, total, message);
    }

    /// Returns `Err(Interrupted)` if the user pressed Ctrl-C; call it in long loops.
    pub fn check_interrupted(&self) -> Result<(), OpError> {
        if self.progress.interrupted() {
            Err(OpError::Interrupted)
        } else {
            Ok(())
        }
    }

    /// The files the stage wrote, in the order written.
    pub fn written(&self) -> &[String] {
        &self.written
    }
}

/// Prepends one constant column per sweep coordinate. A coordinate whose name the table
/// already uses is prefixed with `coord_`.
fn with_coordinates(batch: RecordBatch, coords: &[(String, Value)]) -> Result<RecordBatch, OpError> {
    use arrow_array::{BooleanArray, Float64Array, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    if coords.is_empty() {
        return Ok(batch);
    }
    let n = batch.num_rows();
    let schema = batch.schema();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (name, value) in coords {
        let name = if schema.field_with_name(name).is_ok() {
            format!("coord_{name}")
        } else {
            name.clone()
        };
        let (ty, array): (DataType, ArrayRef) = match value {
            Value::Int(i) => (DataType::Int64, Arc::new(Int64Array::from(vec![*i; n]))),
            Value::Bool(b) => (DataType::Boolean, Arc::new(BooleanArray::from(vec![*b; n]))),
            Value::Float(_) | Value::Quantity { .. } => {
                let x = value.as_f64().unwrap_or(f64::NAN);
                (DataType::Float64, Arc::new(Float64Array::from(vec![x; n])))
            }
            Value::Str(s) | Value::Enum(s) => (DataType::Utf8, Arc::new(StringArray::from(vec![s.as_str(); n]))),
            other => (DataType::Utf8, Arc::new(StringArray::from(vec![other.to_string(); n]))),
        };
        fields.push(Field::new(name, ty, false));
        columns.push(array);
    }
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        fields.push(field.as_ref().clone());
        columns.push(column.clone());
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| OpError::internal(e.to_string()))
}
