//! A trained network run on fresh two-item trials, as the analyses of pipeline 3 read it: each
//! trial's items, its response, and the unit rates at any step.

use crate::nn::choose_device;
use crate::nn::ctrnn::Noise;
use crate::nn::nn_err;
use crate::ops::data::report_trials::ReportTrials;
use crate::ops::networks::{TRAINED_NETWORK, load_network, run_network};
use crate::ops::tasks::task::TrialBatch;
use crate::ops::{OpError, StageContext, StageOutput};
use crate::rng::wrap_angle;
use crate::schema::{DeclKind, InputSpec};

/// The inputs of the analyses that run a network on two-item trials.
pub static NETWORK_ON_TWO_ITEMS: [InputSpec; 2] = [
    TRAINED_NETWORK,
    InputSpec {
        name: "task",
        accepts: &[DeclKind::Task],
        required: true,
        many: false,
        doc: "A two-item `working_memory` task.",
        reads: &[],
    },
];

/// Trials, their items and the network's rates.
pub struct Population {
    pub batch: TrialBatch,
    pub items: ReportTrials,
    /// Location of the cued and of the other item, radians.
    pub cued_location: Vec<f64>,
    pub other_location: Vec<f64>,
    /// Length of each trial's 2-D response.
    pub radius: Vec<f64>,
    /// `[trial][step][unit]`.
    rates: Vec<f32>,
    pub units: usize,
}

impl Population {
    /// Runs the network that `source` trained on `n` trials of the `task` input (its standard
    /// variant), with extra `noise`.
    pub fn sample(ctx: &StageContext, source: &StageOutput, n: usize, noise: Noise) -> Result<Population, OpError> {
        let device = choose_device(ctx.device)?;
        let net = load_network(ctx, source, &device)?;
        let task = ctx.task("task")?;
        let batch = task.generate(n, "standard", &mut ctx.rng("trials"))?;
        let (outputs, rollout) = run_network(&net, &batch, noise, &mut ctx.rng("noise"))?;
        let rates: Vec<f32> = rollout.rates.flatten_all().and_then(|t| t.to_vec1()).map_err(nn_err)?;
        let k = batch.n_outputs();
        if k != 2 {
            return Err(OpError::invalid(format!(
                "the task has {k} outputs; a 2-D response is needed"
            )));
        }
        let mut response = Vec::with_capacity(n);
        let mut radius = Vec::with_capacity(n);
        for trial in 0..n {
            let last = (0..batch.n_steps)
                .rev()
                .find(|&s| batch.mask[(trial * batch.n_steps + s) * k] > 0.0)
                .ok_or_else(|| OpError::invalid("the task's trials have no response step"))?;
            let row = (trial * batch.n_steps + last) * k;
            let (x, y) = (outputs[row] as f64, outputs[row + 1] as f64);
            if !x.is_finite() || !y.is_finite() {
                return Err(OpError::invalid(format!(
                    "the network's response on trial {trial} is not finite"
                )));
            }
            response.push(y.atan2(x));
            radius.push(x.hypot(y));
        }
        let items = ReportTrials::from_columns(&batch.conditions, response)?;
        let column = |name: &str| batch.conditions.get(name).cloned().unwrap_or_default();
        let (cued, loc0, loc1) = (column("cued"), column("loc_0"), column("loc_1"));
        let cued_location: Vec<f64> = (0..n).map(|t| if cued[t] == 0.0 { loc0[t] } else { loc1[t] }).collect();
        let other_location: Vec<f64> = (0..n).map(|t| if cued[t] == 0.0 { loc1[t] } else { loc0[t] }).collect();
        Ok(Population {
            units: net.config.units,
            batch,
            items,
            cued_location,
            other_location,
            radius,
            rates,
        })
    }

    /// Rates of the given trials at one step, row-major `[trial][unit]`.
    pub fn rates_at(&self, trials: &[usize], step: usize) -> Vec<f64> {
        let (steps, n) = (self.batch.n_steps, self.units);
        trials
            .iter()
            .flat_map(|&t| {
                let at = (t * steps + step) * n;
                self.rates[at..at + n].iter().map(|&r| r as f64)
            })
            .collect()
    }

    /// Whether the trial's response lies nearer the non-target colour than the target's.
    pub fn swapped(&self, trial: usize) -> bool {
        let r = self.items.response[trial];
        wrap_angle(r - self.items.non_target[trial]).abs() < wrap_angle(r - self.items.target[trial]).abs()
    }

    /// The last step of the named epoch (of the first trial; the task's epochs have fixed lengths).
    pub fn epoch_end(&self, epoch: &str) -> Option<usize> {
        let index = self.batch.epoch_names.iter().position(|e| e == epoch)? as u8;
        (0..self.batch.n_steps).rev().find(|&s| self.batch.epochs[s] == index)
    }
}
