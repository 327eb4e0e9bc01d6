//! `trial_table`: a task whose trials are rows of a Parquet or CSV file (one row per trial and
//! step), so that trials made elsewhere (NeuroGym, a lab's own generator) train and are analysed
//! in rnx. The column layout is in `trial_table_read`; the file's content is part of the key of
//! every stage that uses the task.
//!
//! Variants: `standard` draws trials uniformly with replacement; `all` takes the table's trials in
//! order of their `trial` value, batch trial k being table trial k mod T (so `T` trials give each
//! once). Trials of different lengths are padded: padding steps have mask 0 and epoch `PADDING`.

use super::trial_table_read::{TrialTable, parse};
use crate::ops::tasks::task::{Task, TrialBatch, unknown_variant};
use crate::ops::{OpError, TaskOp};
use crate::params::Params;
use crate::rng::Rng;
use crate::schema::{DeclKind, OpSchema, ParamSpec, ParamType};
use std::collections::BTreeMap;
use std::path::Path;

pub struct TrialTableTask;

static SCHEMA: OpSchema = OpSchema {
    name: "trial_table",
    kinds: &[DeclKind::Task],
    version: 1,
    doc: "Trials read from a long Parquet/CSV table: `trial`, `step` (0, 1, ... per trial), `in_NAME` inputs and `target_NAME` outputs in column order, `mask` or `mask_NAME` (default 1), optional `epoch` (names or integers; default one epoch `trial`), `condition` (integer grouping trials for averages; default 0) and `t` (ignored); every other column is a per-trial condition value (numbers, constant within a trial). Variants: standard (drawn with replacement), all (in trial order, cycling).",
    inputs: &[],
    params: &[
        ParamSpec::required(
            "path",
            ParamType::Path,
            "The table, relative to the .rnx file that names it; its content is part of the key.",
        ),
        ParamSpec::required(
            "dt",
            ParamType::time(1e-5, 10.0),
            "The time between two rows (steps) of a trial.",
        ),
        ParamSpec::new(
            "format",
            ParamType::Enum(&["auto", "parquet", "csv"]),
            "auto",
            "File format; auto goes by the extension.",
        ),
    ],
    outputs: &[],
};

const VARIANTS: &[&str] = &["standard", "all"];

impl TaskOp for TrialTableTask {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn variants(&self) -> Option<&'static [&'static str]> {
        Some(VARIANTS)
    }

    fn build(&self, p: &Params) -> Result<Box<dyn Task>, OpError> {
        let path = p.str("path")?;
        let batch = crate::ops::data::read_file(Path::new(path), p.str("format")?)?;
        Ok(Box::new(FileTask {
            dt: p.f64("dt")?,
            table: parse(&batch, path)?,
        }))
    }
}

/// The trials of one file.
struct FileTask {
    dt: f64,
    table: TrialTable,
}

impl FileTask {
    /// The table trials a batch of `n` takes, in batch order.
    fn pick(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<Vec<usize>, OpError> {
        let count = self.table.trials.len();
        match variant {
            "standard" => Ok((0..n).map(|_| rng.below(count as u64) as usize).collect()),
            "all" => Ok((0..n).map(|k| k % count).collect()),
            other => Err(unknown_variant("trial_table", other, VARIANTS)),
        }
    }

    /// Condition values of the picked trials: every condition column, `condition`, and
    /// `table_trial` (the `trial` value in the file).
    fn conditions_of(&self, picked: &[usize]) -> BTreeMap<String, Vec<f64>> {
        let trials = &self.table.trials;
        let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (k, name) in self.table.condition_names.iter().enumerate() {
            out.insert(name.clone(), picked.iter().map(|&i| trials[i].values[k]).collect());
        }
        out.insert(
            "condition".into(),
            picked.iter().map(|&i| trials[i].condition as f64).collect(),
        );
        out.insert(
            "table_trial".into(),
            picked.iter().map(|&i| trials[i].id as f64).collect(),
        );
        out
    }
}

impl Task for FileTask {
    fn variants(&self) -> &'static [&'static str] {
        VARIANTS
    }

    fn conditions(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<BTreeMap<String, Vec<f64>>, OpError> {
        Ok(self.conditions_of(&self.pick(n, variant, rng)?))
    }

    fn generate(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<TrialBatch, OpError> {
        let picked = self.pick(n, variant, rng)?;
        let t = &self.table;
        let (n_in, n_out) = (t.input_names.len(), t.output_names.len());
        let n_steps = picked.iter().map(|&i| t.trials[i].steps).max().unwrap_or(0);
        let mut inputs = vec![0f32; n * n_steps * n_in];
        let mut targets = vec![0f32; n * n_steps * n_out];
        let mut mask = vec![0f32; n * n_steps * n_out];
        let mut epochs = vec![TrialBatch::PADDING; n * n_steps];
        for (k, &i) in picked.iter().enumerate() {
            let trial = &t.trials[i];
            let row = k * n_steps;
            inputs[row * n_in..(row + trial.steps) * n_in].copy_from_slice(&trial.inputs);
            targets[row * n_out..(row + trial.steps) * n_out].copy_from_slice(&trial.targets);
            mask[row * n_out..(row + trial.steps) * n_out].copy_from_slice(&trial.mask);
            epochs[row..row + trial.steps].copy_from_slice(&trial.epochs);
        }
        let mut conditions = self.conditions_of(&picked);
        let condition = conditions
            .remove("condition")
            .unwrap_or_default()
            .into_iter()
            .map(|c| c as i64)
            .collect();
        Ok(TrialBatch {
            n_trials: n,
            n_steps,
            dt: self.dt,
            input_names: t.input_names.clone(),
            output_names: t.output_names.clone(),
            inputs,
            targets,
            mask,
            epoch_names: t.epoch_names.clone(),
            epochs,
            conditions,
            condition,
        })
    }
}

#[cfg(test)]
#[path = "trial_table_tests.rs"]
mod tests;
