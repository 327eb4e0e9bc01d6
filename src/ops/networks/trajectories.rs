//! The trial-averaged trajectories table (per condition and step: inputs, outputs, targets and
//! every unit's rate), and loading a trained network back from its stage.

use crate::nn::ctrnn::{Ctrnn, Rollout};
use crate::nn::{nn_err, weights};
use crate::ops::tasks::task::TrialBatch;
use crate::ops::{OpError, StageContext, StageOutput};
use crate::table::TableBuilder;
use arrow_array::RecordBatch;
use std::collections::BTreeMap;

/// Averages trials by condition and step (padding excluded) into one wide table.
pub fn trajectories_table(batch: &TrialBatch, rollout: &Rollout) -> Result<RecordBatch, OpError> {
    let rates: Vec<f32> = rollout.rates.flatten_all().and_then(|t| t.to_vec1()).map_err(nn_err)?;
    let outputs: Vec<f32> = rollout
        .outputs
        .flatten_all()
        .and_then(|t| t.to_vec1())
        .map_err(nn_err)?;
    let (n_units, n_out, n_in) = (
        rates.len() / (batch.n_trials * batch.n_steps).max(1),
        batch.n_outputs(),
        batch.n_inputs(),
    );
    // Sums per (condition, step): count, inputs, outputs, targets, rates.
    let width = n_in + 2 * n_out + n_units;
    let mut sums: BTreeMap<(i64, usize), (u64, Vec<f64>)> = BTreeMap::new();
    for trial in 0..batch.n_trials {
        for step in 0..batch.n_steps {
            let row = trial * batch.n_steps + step;
            if batch.epochs[row] == TrialBatch::PADDING {
                continue;
            }
            let entry = sums
                .entry((batch.condition[trial], step))
                .or_insert_with(|| (0, vec![0.0; width]));
            entry.0 += 1;
            let acc = &mut entry.1;
            // The row's values in column order: inputs, outputs, targets, rates.
            let values = batch.inputs[row * n_in..(row + 1) * n_in]
                .iter()
                .chain(&outputs[row * n_out..(row + 1) * n_out])
                .chain(&batch.targets[row * n_out..(row + 1) * n_out])
                .chain(&rates[row * n_units..(row + 1) * n_units]);
            for (slot, v) in acc.iter_mut().zip(values) {
                *slot += *v as f64;
            }
        }
    }
    let mut condition = Vec::new();
    let mut step = Vec::new();
    let mut count = Vec::new();
    let mut columns: Vec<Vec<f32>> = vec![Vec::new(); width];
    for ((c, s), (n, acc)) in &sums {
        condition.push(*c);
        step.push(*s as i64);
        count.push(*n as i64);
        for (k, v) in acc.iter().enumerate() {
            columns[k].push((v / *n as f64) as f32);
        }
    }
    let time: Vec<f64> = step.iter().map(|&s| s as f64 * batch.dt).collect();
    let mut t = TableBuilder::new()
        .i64("condition", condition)
        .i64("step", step)
        .f64("t", time)
        .i64("trials", count);
    let mut cols = columns.into_iter();
    for name in &batch.input_names {
        t = t.f32(&format!("in_{name}"), cols.next().unwrap_or_default());
    }
    for name in &batch.output_names {
        t = t.f32(&format!("out_{name}"), cols.next().unwrap_or_default());
    }
    for name in &batch.output_names {
        t = t.f32(&format!("target_{name}"), cols.next().unwrap_or_default());
    }
    for k in 0..n_units {
        t = t.f32(&format!("r_{k}"), cols.next().unwrap_or_default());
    }
    Ok(t.build()?)
}

/// The trained network written by a `train` stage.
pub fn load_network(ctx: &StageContext, from: &StageOutput, device: &candle_core::Device) -> Result<Ctrnn, OpError> {
    if !from.files.iter().any(|f| f == "weights.safetensors") {
        return Err(OpError::invalid(format!(
            "stage `{}` wrote no weights; is it a `train` stage?",
            from.stage
        )));
    }
    let path = from.dir.join("weights.safetensors");
    let bytes = std::fs::read(&path).map_err(|source| OpError::Io {
        action: "read",
        path,
        source,
    })?;
    let (config, tensors) = weights::from_bytes(&bytes, device)?;
    let _ = ctx;
    Ctrnn::from_weights(config, &tensors, device)
}
