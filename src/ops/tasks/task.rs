//! The task interface: a trial generator with epochs, inputs, targets and loss masks.

use crate::ops::OpError;
use crate::rng::Rng;
pub use crate::trial_batch::TrialBatch;
use std::collections::BTreeMap;

/// One noise-free trial per condition of a task whose targets come from a simulated population
/// (a teacher network), with every unit's rate: what a `recordings` stage writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Recordings {
    /// Trial `c` is condition `c`.
    pub batch: TrialBatch,
    /// `[condition][step][unit]`.
    pub rates: Vec<f32>,
    pub units: usize,
}

/// A configured task, built from a `task` declaration's parameters.
pub trait Task: Send + Sync {
    /// The names of the task's variants; the first is the one trained on.
    fn variants(&self) -> &'static [&'static str];
    /// Draws only the per-trial condition values (cheap; no input tensors). `generate` with the same
    /// generator state draws the same conditions.
    fn conditions(&self, n_trials: usize, variant: &str, rng: &mut Rng) -> Result<BTreeMap<String, Vec<f64>>, OpError>;
    /// Draws `n_trials` trials of `variant`. Deterministic given the generator's state.
    fn generate(&self, n_trials: usize, variant: &str, rng: &mut Rng) -> Result<TrialBatch, OpError>;
    /// Renders trials of the standard variant from given condition values, one vector per column, as
    /// read from a data table (`train`'s data input). A `response` column, where the task has a
    /// circular report, replaces the correct answer as the target. Tasks that cannot say so.
    fn render(&self, conditions: BTreeMap<String, Vec<f64>>) -> Result<TrialBatch, OpError> {
        let _ = conditions;
        Err(OpError::invalid(
            "this task cannot render trials from a data table; train it without a data input",
        ))
    }
    /// The population behind the targets, one trial per condition of `variant`. Only tasks whose
    /// targets come from a simulated network (`reach_teacher`) have one.
    fn recordings(&self, variant: &str) -> Result<Recordings, OpError> {
        let _ = variant;
        Err(OpError::invalid(
            "this task has no recorded population; `recordings` needs a teacher task such as `reach_teacher`",
        ))
    }
    /// The task's performance measures for a network's outputs (`[trial][step][output]`), as
    /// (name, value) pairs. The default: masked mean squared error and R^2 against the targets.
    fn metrics(&self, batch: &TrialBatch, outputs: &[f32]) -> Vec<(String, f64)> {
        default_metrics(batch, outputs)
    }
}

/// Masked mean squared error, and R^2 (one minus the masked error over the masked target variance).
pub fn default_metrics(batch: &TrialBatch, outputs: &[f32]) -> Vec<(String, f64)> {
    let (mut sse, mut count, mut sum, mut sum_sq) = (0.0, 0.0, 0.0, 0.0);
    for ((&y, &t), &m) in outputs.iter().zip(&batch.targets).zip(&batch.mask) {
        if m > 0.0 {
            let (y, t) = (y as f64, t as f64);
            sse += (y - t) * (y - t);
            count += 1.0;
            sum += t;
            sum_sq += t * t;
        }
    }
    let mse = if count > 0.0 { sse / count } else { f64::NAN };
    let variance = if count > 0.0 {
        sum_sq / count - (sum / count).powi(2)
    } else {
        f64::NAN
    };
    let r2 = if variance > 0.0 { 1.0 - mse / variance } else { f64::NAN };
    vec![("mse".into(), mse), ("r2".into(), r2)]
}

/// The error for a variant a task does not have.
pub fn unknown_variant(task: &str, variant: &str, variants: &[&str]) -> OpError {
    OpError::invalid(format!(
        "task `{task}` has no variant `{variant}`; its variants: {}",
        variants.join(", ")
    ))
}

/// Number of whole steps of length `dt` in `seconds` (at least `min`).
pub fn steps(seconds: f64, dt: f64, min: usize) -> usize {
    ((seconds / dt).round() as usize).max(min)
}
