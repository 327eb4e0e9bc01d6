//! Recorded teacher units for `train`'s `activity` loss, read from a `sample_units` stage: which
//! student unit follows which recorded unit, and the recorded rates per condition and step.

use crate::ops::OpError;
use crate::ops::analysis::wide::float_column;
use crate::ops::tasks::task::TrialBatch;
use arrow_array::{Array, Int64Array, RecordBatch};
use std::collections::BTreeMap;

/// The assignment and the recordings, indexed by condition.
pub struct RecordedUnits {
    /// Per recorded unit, in assignment order: its student unit.
    pub student_units: Vec<u32>,
    /// Per condition: `[step][recorded unit]`.
    by_condition: BTreeMap<i64, Vec<f32>>,
    steps: usize,
}

impl RecordedUnits {
    /// Reads a `sample_units` stage's `assignment` and `recorded` tables and checks them against
    /// a student of `units` units.
    pub fn from_tables(
        assignment: &RecordBatch,
        recorded: &RecordBatch,
        units: usize,
        stage: &str,
    ) -> Result<RecordedUnits, OpError> {
        let teacher = ints(assignment, "teacher_unit", stage)?;
        let student = ints(assignment, "student_unit", stage)?;
        let mut seen = vec![false; units];
        for &s in &student {
            let slot = usize::try_from(s).ok().and_then(|s| seen.get_mut(s)).ok_or_else(|| {
                OpError::invalid(format!(
                    "`{stage}` assigns a recorded unit to student unit {s}, but the model has {units} units"
                ))
            })?;
            if *slot {
                return Err(OpError::invalid(format!(
                    "`{stage}` assigns two recorded units to student unit {s}; the assignment must be one to one"
                )));
            }
            *slot = true;
        }
        let columns: Vec<Vec<f64>> = teacher
            .iter()
            .map(|u| {
                let name = format!("u_{u}");
                let column = recorded.column_by_name(&name).ok_or_else(|| {
                    OpError::invalid(format!("the `recorded` table of `{stage}` has no column `{name}`"))
                })?;
                float_column(column.as_ref())
            })
            .collect::<Result<_, _>>()?;
        let (condition, step) = (ints(recorded, "condition", stage)?, ints(recorded, "step", stage)?);
        let rows = recorded.num_rows();
        if step.iter().any(|&s| s < 0 || s as usize >= rows) {
            return Err(OpError::invalid(format!(
                "the `recorded` table of `{stage}` has a step outside 0..{rows}"
            )));
        }
        let steps = step.iter().max().map_or(0, |&s| s as usize + 1);
        let k = teacher.len();
        let mut by_condition: BTreeMap<i64, Vec<f32>> = BTreeMap::new();
        let mut seen_rows: BTreeMap<i64, Vec<bool>> = BTreeMap::new();
        for row in 0..rows {
            let (c, s) = (condition[row], step[row] as usize);
            let seen = seen_rows.entry(c).or_insert_with(|| vec![false; steps]);
            if std::mem::replace(&mut seen[s], true) {
                return Err(OpError::invalid(format!(
                    "the `recorded` table of `{stage}` holds step {s} of condition {c} twice"
                )));
            }
            let values = by_condition.entry(c).or_insert_with(|| vec![f32::NAN; steps * k]);
            for (j, column) in columns.iter().enumerate() {
                values[s * k + j] = column[row] as f32;
            }
        }
        if let Some((c, _)) = seen_rows.iter().find(|(_, seen)| seen.iter().any(|s| !s)) {
            return Err(OpError::invalid(format!(
                "the `recorded` table of `{stage}` lacks some of the {steps} steps of condition {c}"
            )));
        }
        if by_condition.values().flatten().any(|v| !v.is_finite()) {
            return Err(OpError::invalid(format!(
                "the `recorded` table of `{stage}` has missing or non-finite rates"
            )));
        }
        Ok(RecordedUnits {
            student_units: student.iter().map(|&s| s as u32).collect(),
            by_condition,
            steps,
        })
    }

    pub fn count(&self) -> usize {
        self.student_units.len()
    }

    /// For a batch of trials: the recorded rates `[trial][step][unit]` and the counted steps
    /// `[trial][step]` (the batch's loss mask on its first output).
    pub fn targets(&self, batch: &TrialBatch) -> Result<(Vec<f32>, Vec<f32>), OpError> {
        let (k, n_out) = (self.count(), batch.n_outputs());
        if batch.n_steps != self.steps {
            return Err(OpError::invalid(format!(
                "the recordings hold {} steps per trial but the task's trials have {}",
                self.steps, batch.n_steps
            )));
        }
        let mut rates = Vec::with_capacity(batch.n_trials * batch.n_steps * k);
        let mut mask = Vec::with_capacity(batch.n_trials * batch.n_steps);
        for trial in 0..batch.n_trials {
            let c = batch.condition[trial];
            let recorded = self.by_condition.get(&c).ok_or_else(|| {
                OpError::invalid(format!("the recordings have no condition {c}, which the task draws"))
            })?;
            rates.extend_from_slice(recorded);
            for s in 0..batch.n_steps {
                mask.push(batch.mask[(trial * batch.n_steps + s) * n_out]);
            }
        }
        Ok((rates, mask))
    }
}

fn ints(table: &RecordBatch, name: &str, stage: &str) -> Result<Vec<i64>, OpError> {
    table
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
        .map(|c| c.values().to_vec())
        .ok_or_else(|| OpError::invalid(format!("the tables of `{stage}` have no integer column `{name}`")))
}
