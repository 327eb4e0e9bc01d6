//! Reading and validating a long table of trials (one row per trial and step) for `trial_table`.
//!
//! Columns: `trial` and `step` (integers; steps 0, 1, 2, ... within each trial), `in_NAME`
//! (inputs) and `target_NAME` (outputs), in column order; `mask` (for every output) or
//! `mask_NAME` (per output); optional `epoch` (names or integers), `condition` (an integer that
//! groups trials for averaging) and `t` (ignored). Any other column is a condition value: a number,
//! constant within each trial.

use crate::ops::OpError;
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::DataType;
use std::collections::{BTreeMap, BTreeSet};

/// The epoch name given to every step of a table without an `epoch` column.
pub const SINGLE_EPOCH: &str = "trial";

/// One trial of the table, its steps in order.
#[derive(Debug, Clone, PartialEq)]
pub struct TableTrial {
    /// The value of the `trial` column.
    pub id: i64,
    pub steps: usize,
    /// `[step][input]`.
    pub inputs: Vec<f32>,
    /// `[step][output]`.
    pub targets: Vec<f32>,
    /// `[step][output]`.
    pub mask: Vec<f32>,
    /// `[step]`: index into `TrialTable::epoch_names`.
    pub epochs: Vec<u8>,
    pub condition: i64,
    /// One value per `TrialTable::condition_names`.
    pub values: Vec<f64>,
}

/// A validated table of trials, sorted by trial id.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialTable {
    pub input_names: Vec<String>,
    pub output_names: Vec<String>,
    pub epoch_names: Vec<String>,
    pub condition_names: Vec<String>,
    pub trials: Vec<TableTrial>,
}

/// Where a column's values go.
enum Role {
    Input(String),
    Target(String),
    Mask(Option<String>),
    Epoch,
    Condition,
    Ignored,
    Value(String),
}

/// Reads `batch` (read from `file`, which errors name) as trials.
pub fn parse(batch: &RecordBatch, file: &str) -> Result<TrialTable, OpError> {
    let bad = |what: String| OpError::invalid(format!("trial table `{file}`: {what}"));
    if batch.num_rows() == 0 {
        return Err(bad("it has no rows".into()));
    }
    let schema = batch.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut seen = BTreeSet::new();
    if let Some(dup) = names.iter().find(|n| !seen.insert(**n)) {
        return Err(bad(format!("column `{dup}` appears twice")));
    }
    let index = |name: &str| names.iter().position(|n| *n == name);
    let missing: Vec<&str> = ["trial", "step"].into_iter().filter(|n| index(n).is_none()).collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "it has no {} column (its columns: {})",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(" or "),
            names.join(", ")
        )));
    }
    let roles: Vec<Role> = names
        .iter()
        .map(|n| role(n))
        .collect::<Result<_, String>>()
        .map_err(bad)?;
    let column = |k: usize| Column {
        array: batch.column(k),
        name: names[k],
        file,
    };

    // Rows grouped by trial, then ordered by step.
    let trial_ids = column(index("trial").unwrap_or(0)).integers()?;
    let step_ids = column(index("step").unwrap_or(0)).integers()?;
    let mut by_trial: BTreeMap<i64, Vec<(i64, usize)>> = BTreeMap::new();
    for (row, (&trial, &step)) in trial_ids.iter().zip(&step_ids).enumerate() {
        by_trial.entry(trial).or_default().push((step, row));
    }
    let mut order: Vec<(i64, Vec<usize>)> = Vec::with_capacity(by_trial.len());
    for (trial, mut rows) in by_trial {
        rows.sort_unstable();
        for (expected, &(step, _)) in rows.iter().enumerate() {
            let expected = expected as i64;
            if step != expected {
                return Err(bad(if step < expected {
                    format!("trial {trial} has step {step} twice")
                } else {
                    format!("trial {trial}'s steps must run 0, 1, 2, ... without gaps, but step {expected} is missing")
                }));
            }
        }
        order.push((trial, rows.into_iter().map(|(_, row)| row).collect()));
    }
    let at = |row: usize| format!("trial {}, step {}", trial_ids[row], step_ids[row]);

    let mut table = TrialTable {
        input_names: vec![],
        output_names: vec![],
        epoch_names: vec![SINGLE_EPOCH.into()],
        condition_names: vec![],
        trials: vec![],
    };
    let (mut inputs, mut targets, mut values) = (vec![], vec![], vec![]);
    let mut masks: Vec<(Option<String>, Vec<f64>)> = vec![];
    let (mut epoch_of_row, mut condition_of_row) = (None, None);
    for (k, r) in roles.iter().enumerate() {
        match r {
            Role::Input(name) => {
                table.input_names.push(name.clone());
                inputs.push(column(k).numbers(&at)?);
            }
            Role::Target(name) => {
                table.output_names.push(name.clone());
                targets.push(column(k).numbers(&at)?);
            }
            Role::Mask(name) => {
                let m = column(k).numbers(&at)?;
                if let Some(row) = m.iter().position(|&v| v < 0.0) {
                    return Err(bad(format!("`{}` is negative at {}", names[k], at(row))));
                }
                masks.push((name.clone(), m));
            }
            Role::Epoch => {
                let (epoch_names, rows) = column(k).epochs(&order)?;
                table.epoch_names = epoch_names;
                epoch_of_row = Some(rows);
            }
            Role::Condition => {
                let c = column(k).integers()?;
                constant_within_trials(&order, names[k], &c).map_err(bad)?;
                condition_of_row = Some(c);
            }
            Role::Value(name) => {
                let v = column(k).numbers(&at)?;
                constant_within_trials(&order, name, &v).map_err(bad)?;
                table.condition_names.push(name.clone());
                values.push(v);
            }
            Role::Ignored => {}
        }
    }
    if inputs.is_empty() || targets.is_empty() {
        return Err(bad(format!(
            "it needs at least one input column `in_NAME` and one target column `target_NAME` (its columns: {})",
            names.join(", ")
        )));
    }
    let mask_of = mask_columns(&masks, &table.output_names).map_err(bad)?;

    for (id, rows) in order {
        let mut trial = TableTrial {
            id,
            steps: rows.len(),
            inputs: Vec::with_capacity(rows.len() * inputs.len()),
            targets: Vec::with_capacity(rows.len() * targets.len()),
            mask: Vec::with_capacity(rows.len() * targets.len()),
            epochs: Vec::with_capacity(rows.len()),
            condition: condition_of_row.as_ref().map_or(0, |c| c[rows[0]]),
            values: values.iter().map(|v| v[rows[0]]).collect(),
        };
        for &row in &rows {
            trial.inputs.extend(inputs.iter().map(|c| c[row] as f32));
            trial.targets.extend(targets.iter().map(|c| c[row] as f32));
            trial
                .mask
                .extend(mask_of.iter().map(|m| m.map_or(1.0, |k| masks[k].1[row] as f32)));
            trial.epochs.push(epoch_of_row.as_ref().map_or(0, |e| e[row]));
        }
        table.trials.push(trial);
    }
    Ok(table)
}

/// A column's role, by its name.
fn role(name: &str) -> Result<Role, String> {
    let suffix = |prefix: &str| -> Result<Option<String>, String> {
        match name.strip_prefix(prefix) {
            Some("") => Err(format!("column `{name}` needs a name after `{prefix}`")),
            Some(rest) => Ok(Some(rest.to_string())),
            None => Ok(None),
        }
    };
    Ok(match name {
        "trial" | "step" | "t" => Role::Ignored,
        "epoch" => Role::Epoch,
        "condition" => Role::Condition,
        "mask" => Role::Mask(None),
        _ => {
            if let Some(n) = suffix("in_")? {
                Role::Input(n)
            } else if let Some(n) = suffix("target_")? {
                Role::Target(n)
            } else if let Some(n) = suffix("mask_")? {
                Role::Mask(Some(n))
            } else {
                Role::Value(name.to_string())
            }
        }
    })
}

/// For each output, which mask column applies (`None`: the output counts on every step).
fn mask_columns(masks: &[(Option<String>, Vec<f64>)], outputs: &[String]) -> Result<Vec<Option<usize>>, String> {
    let shared = masks.iter().position(|(name, _)| name.is_none());
    if shared.is_some() && masks.len() > 1 {
        return Err("give either one `mask` column or `mask_NAME` columns per output, not both".into());
    }
    for (name, _) in masks {
        if let Some(name) = name
            && !outputs.contains(name)
        {
            return Err(format!("column `mask_{name}` has no target column `target_{name}`"));
        }
    }
    Ok(outputs
        .iter()
        .map(|o| shared.or_else(|| masks.iter().position(|(n, _)| n.as_deref() == Some(o.as_str()))))
        .collect())
}

fn constant_within_trials<T: PartialEq + std::fmt::Display>(
    order: &[(i64, Vec<usize>)],
    name: &str,
    values: &[T],
) -> Result<(), String> {
    for (trial, rows) in order {
        let first = &values[rows[0]];
        if let Some(&row) = rows.iter().find(|&&r| values[r] != *first) {
            return Err(format!(
                "column `{name}` changes within trial {trial} ({first}, then {}); condition columns are constant within a trial, and channels are named `in_NAME` or `target_NAME`",
                values[row]
            ));
        }
    }
    Ok(())
}

/// One column of the table, for reading.
struct Column<'a> {
    array: &'a ArrayRef,
    name: &'a str,
    file: &'a str,
}

impl Column<'_> {
    fn bad(&self, what: String) -> OpError {
        OpError::invalid(format!("trial table `{}`: column `{}` {what}", self.file, self.name))
    }

    fn first_null(&self) -> Result<(), OpError> {
        match (0..self.array.len()).find(|&r| self.array.is_null(r)) {
            Some(row) => Err(self.bad(format!("has a missing value in row {}", row + 1))),
            None => Ok(()),
        }
    }

    fn integers(&self) -> Result<Vec<i64>, OpError> {
        if !self.array.data_type().is_integer() {
            return Err(self.bad(format!("must hold integers; it holds {}", self.array.data_type())));
        }
        self.first_null()?;
        let cast = arrow_cast::cast(self.array, &DataType::Int64).map_err(|e| self.bad(e.to_string()))?;
        let ints = cast
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| self.bad("could not be read as integers".into()))?;
        Ok(ints.values().to_vec())
    }

    /// Finite numbers (integers, floats or booleans); `at` names a row's trial and step.
    fn numbers(&self, at: &dyn Fn(usize) -> String) -> Result<Vec<f64>, OpError> {
        let ty = self.array.data_type();
        if !(ty.is_numeric() || *ty == DataType::Boolean) {
            return Err(self.bad(format!("must hold numbers; it holds {ty}")));
        }
        if let Some(row) = (0..self.array.len()).find(|&r| self.array.is_null(r)) {
            return Err(self.bad(format!("has a missing value at {}", at(row))));
        }
        let cast = arrow_cast::cast(self.array, &DataType::Float64).map_err(|e| self.bad(e.to_string()))?;
        let floats = cast
            .as_any()
            .downcast_ref::<Float64Array>()
            .ok_or_else(|| self.bad("could not be read as numbers".into()))?;
        if let Some(row) = floats.values().iter().position(|v| !v.is_finite()) {
            return Err(self.bad(format!("has {} at {}", floats.value(row), at(row))));
        }
        Ok(floats.values().to_vec())
    }

    /// Epoch names and each row's epoch index. Integer epochs are named by their values, in
    /// numeric order; named epochs are ordered by first appearance (trials by id, steps in order).
    fn epochs(&self, order: &[(i64, Vec<usize>)]) -> Result<(Vec<String>, Vec<u8>), OpError> {
        self.first_null()?;
        if self.array.data_type().is_integer() {
            let ints = self.integers()?;
            let sorted: Vec<i64> = ints.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
            let rows = ints.iter().map(|v| sorted.binary_search(v).unwrap_or(0)).collect();
            return self.indexed(sorted.iter().map(i64::to_string).collect(), rows);
        }
        let cast = arrow_cast::cast(self.array, &DataType::Utf8).map_err(|_| {
            self.bad(format!(
                "must hold names or integers; it holds {}",
                self.array.data_type()
            ))
        })?;
        let strings = cast
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| self.bad("could not be read as names".into()))?;
        let labels: Vec<&str> = (0..strings.len()).map(|r| strings.value(r)).collect();
        let mut names: Vec<String> = Vec::new();
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, rows) in order {
            for &row in rows {
                let label = labels[row];
                if !index.contains_key(label) {
                    index.insert(label, names.len());
                    names.push(label.to_string());
                }
            }
        }
        let rows = labels.iter().map(|l| index[l]).collect();
        self.indexed(names, rows)
    }

    fn indexed(&self, names: Vec<String>, rows: Vec<usize>) -> Result<(Vec<String>, Vec<u8>), OpError> {
        if names.len() >= crate::ops::tasks::task::TrialBatch::PADDING as usize {
            return Err(self.bad(format!("has {} epochs; at most 254 are supported", names.len())));
        }
        Ok((names, rows.into_iter().map(|i| i as u8).collect()))
    }
}
