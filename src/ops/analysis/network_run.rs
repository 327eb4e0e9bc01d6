//! A trained network run on fresh trials of a task variant, kept whole: the trials, the outputs
//! and every unit's rate, with condition averages aligned to the start of an epoch (trials whose
//! epochs start at different times, as in a reach with a random delay, line up at that event).

use crate::nn::choose_device;
use crate::nn::ctrnn::Noise;
use crate::nn::nn_err;
use crate::ops::networks::{load_network, run_network};
use crate::ops::tasks::task::TrialBatch;
use crate::ops::{OpError, StageContext};
use std::collections::BTreeMap;

/// Trials, outputs `[trial][step][output]` and rates `[trial][step][unit]`.
pub struct NetworkRun {
    pub batch: TrialBatch,
    pub outputs: Vec<f32>,
    rates: Vec<f32>,
    pub units: usize,
}

impl NetworkRun {
    /// Runs the `network` input on `n` trials of `variant` of the `task` input.
    pub fn sample(ctx: &StageContext, n: usize, variant: &str, stream: &str) -> Result<NetworkRun, OpError> {
        let device = choose_device(ctx.device)?;
        let net = load_network(ctx, ctx.stage_input("network")?, &device)?;
        let task = ctx.task("task")?;
        let batch = task.generate(n, variant, &mut ctx.rng(&format!("{stream}-trials")))?;
        let (outputs, rollout) = run_network(&net, &batch, Noise::default(), &mut ctx.rng(&format!("{stream}-noise")))?;
        let rates = rollout.rates.flatten_all().and_then(|t| t.to_vec1()).map_err(nn_err)?;
        Ok(NetworkRun {
            units: net.config.units,
            batch,
            outputs,
            rates,
        })
    }

    /// One trial's rates at one step.
    pub fn rates_at(&self, trial: usize, step: usize) -> &[f32] {
        let at = (trial * self.batch.n_steps + step) * self.units;
        &self.rates[at..at + self.units]
    }

    /// The first step of `epoch` in each trial.
    pub fn epoch_starts(&self, epoch: &str) -> Result<Vec<usize>, OpError> {
        let index = self
            .batch
            .epoch_names
            .iter()
            .position(|e| e == epoch)
            .ok_or_else(|| OpError::invalid(format!("the task has no `{epoch}` epoch")))? as u8;
        (0..self.batch.n_trials)
            .map(|t| {
                let row = t * self.batch.n_steps;
                (0..self.batch.n_steps)
                    .find(|&s| self.batch.epochs[row + s] == index)
                    .ok_or_else(|| OpError::invalid(format!("trial {t} has no `{epoch}` epoch")))
            })
            .collect()
    }

    /// The number of steps of `epoch` in the first trial.
    pub fn epoch_length(&self, epoch: &str) -> Result<usize, OpError> {
        let index = self
            .batch
            .epoch_names
            .iter()
            .position(|e| e == epoch)
            .unwrap_or(usize::MAX);
        Ok((0..self.batch.n_steps)
            .filter(|&s| self.batch.epochs[s] as usize == index)
            .count())
    }

    /// Per condition (in condition order), the mean rates over the steps from `before` steps
    /// before the start of `epoch` to `after` steps after it, `[step][unit]` row-major. Every
    /// trial must have the whole window.
    pub fn aligned_means(
        &self,
        epoch: &str,
        before: usize,
        after: usize,
    ) -> Result<(Vec<i64>, Vec<Vec<f64>>), OpError> {
        let starts = self.epoch_starts(epoch)?;
        let length = before + after;
        let mut sums: BTreeMap<i64, (Vec<f64>, usize)> = BTreeMap::new();
        for (trial, &start) in starts.iter().enumerate() {
            if start < before || start + after > self.batch.n_steps {
                return Err(OpError::invalid(format!(
                    "trial {trial} does not hold {before} steps before and {after} after the start of `{epoch}`"
                )));
            }
            let entry = sums
                .entry(self.batch.condition[trial])
                .or_insert_with(|| (vec![0.0; length * self.units], 0));
            for k in 0..length {
                for (u, &r) in self.rates_at(trial, start - before + k).iter().enumerate() {
                    entry.0[k * self.units + u] += r as f64;
                }
            }
            entry.1 += 1;
        }
        let conditions = sums.keys().copied().collect();
        let means = sums
            .into_values()
            .map(|(sum, count)| sum.into_iter().map(|v| v / count as f64).collect())
            .collect();
        Ok((conditions, means))
    }
}
