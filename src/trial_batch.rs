//! A batch of trials as a task draws them and a network trains on them: inputs, targets, loss
//! mask and epochs, padded to the longest trial.
//!
//! It sits below `ops` and `nn` so that both may use it (`ops::task` re-exports it).

use std::collections::BTreeMap;

/// A batch of trials, padded to the longest trial. Arrays are row-major `[trial][step][channel]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialBatch {
    pub n_trials: usize,
    pub n_steps: usize,
    /// Step length in seconds.
    pub dt: f64,
    pub input_names: Vec<String>,
    pub output_names: Vec<String>,
    /// `[trial][step][input]`.
    pub inputs: Vec<f32>,
    /// `[trial][step][output]`.
    pub targets: Vec<f32>,
    /// `[trial][step][output]`: 1 where the loss counts the target, 0 elsewhere (and in padding).
    pub mask: Vec<f32>,
    pub epoch_names: Vec<String>,
    /// `[trial][step]`: index into `epoch_names`, or `PADDING` after a trial has ended.
    pub epochs: Vec<u8>,
    /// Per-trial condition values (target angle, delay, cue features, ...), one vector per column.
    pub conditions: BTreeMap<String, Vec<f64>>,
    /// Per-trial integer condition index, grouping trials for trial-averaging.
    pub condition: Vec<i64>,
}

impl TrialBatch {
    /// The epoch index used for steps past a trial's end.
    pub const PADDING: u8 = u8::MAX;

    pub fn n_inputs(&self) -> usize {
        self.input_names.len()
    }
    pub fn n_outputs(&self) -> usize {
        self.output_names.len()
    }

    /// Each trial repeated `repeats` times in a row (for moments over repeats of one trial).
    pub fn repeat_each(self, repeats: usize) -> TrialBatch {
        if repeats <= 1 {
            return self;
        }
        let repeat = |values: &[f32], per_trial: usize| -> Vec<f32> {
            values
                .chunks(per_trial.max(1))
                .flat_map(|trial| std::iter::repeat_n(trial, repeats).flatten().copied())
                .collect()
        };
        let (steps, n_in, n_out) = (self.n_steps, self.n_inputs(), self.n_outputs());
        TrialBatch {
            n_trials: self.n_trials * repeats,
            inputs: repeat(&self.inputs, steps * n_in),
            targets: repeat(&self.targets, steps * n_out),
            mask: repeat(&self.mask, steps * n_out),
            epochs: self
                .epochs
                .chunks(steps.max(1))
                .flat_map(|trial| std::iter::repeat_n(trial, repeats).flatten().copied())
                .collect(),
            conditions: self
                .conditions
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.iter().flat_map(|&x| std::iter::repeat_n(x, repeats)).collect(),
                    )
                })
                .collect(),
            condition: self
                .condition
                .iter()
                .flat_map(|&c| std::iter::repeat_n(c, repeats))
                .collect(),
            ..self
        }
    }
}
