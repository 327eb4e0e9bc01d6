//! `evaluate`: runs a trained network on a task (or one of its variants), optionally with extra
//! input and recurrent noise, and writes trial-level outputs, trial-averaged trajectories and the
//! task's performance metrics.

use super::TRAINED_NETWORK;
use super::trajectories::{load_network, trajectories_table};
use crate::figure::{Columns, Figure, Plot};
use crate::nn::ctrnn::{Noise, batch_tensors};
use crate::nn::{choose_device, nn_err};
use crate::ops::tasks::task::TrialBatch;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Evaluate;

static SCHEMA: OpSchema = OpSchema {
    name: "evaluate",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "Runs a trained network on a task variant, with optional extra noise; writes outputs, trajectories and metrics.",
    inputs: &[
        TRAINED_NETWORK,
        InputSpec {
            name: "task",
            accepts: &[DeclKind::Task],
            required: true,
            many: false,
            doc: "The task to run it on.",
            reads: &[],
        },
    ],
    params: &[
        ParamSpec::new("variant", ParamType::Str, "\"standard\"", "Which variant of the task."),
        ParamSpec::new("trials", ParamType::int(1, 1_000_000), "256", "Trials to run."),
        ParamSpec::new(
            "input_noise",
            ParamType::float(0.0, 100.0),
            "0",
            "Extra input noise std, on top of the model's own.",
        ),
        ParamSpec::new(
            "recurrent_noise",
            ParamType::float(0.0, 100.0),
            "0",
            "Extra recurrent noise std, on top of the model's own.",
        ),
    ],
    outputs: &[
        OutputSpec {
            name: "outputs",
            doc: "Trial-level: one row per trial and step (padding left out), with out_* and target_* columns (float32).",
            columns: &[
                ColumnSpec {
                    name: "trial",
                    ty: "int64",
                    doc: "Trial index.",
                },
                ColumnSpec {
                    name: "condition",
                    ty: "int64",
                    doc: "The task's condition index.",
                },
                ColumnSpec {
                    name: "step",
                    ty: "int64",
                    doc: "Time step.",
                },
            ],
        },
        OutputSpec {
            name: "trajectories",
            doc: "Trial-averaged per condition and step, as `train` writes it (with unit rates r_k).",
            columns: &[],
        },
        OutputSpec {
            name: "metrics",
            doc: "The task's performance measures (for every task: mse and r2 on masked outputs).",
            columns: &[
                ColumnSpec {
                    name: "metric",
                    ty: "utf8",
                    doc: "Name of the measure.",
                },
                ColumnSpec {
                    name: "value",
                    ty: "float64",
                    doc: "Its value.",
                },
            ],
        },
    ],
};

static FIGURES: &[Figure] = &[
    Figure {
        title: "Performance",
        table: "metrics",
        plot: Plot::Bars {
            label: "metric",
            values: Columns::Named(&["value"]),
        },
        x_label: "measure",
        y_label: "value",
    },
    Figure {
        title: "Trial-averaged trajectories in the top two PCs",
        table: "trajectories",
        plot: Plot::PcPaths {
            units: Columns::Prefix("r_", usize::MAX),
            group: "condition",
        },
        x_label: "PC 1 of the unit rates (rate units)",
        y_label: "PC 2 (rate units)",
    },
    Figure {
        title: "Variance of the unit rates explained",
        table: "trajectories",
        plot: Plot::PcVariance {
            units: Columns::Prefix("r_", usize::MAX),
        },
        x_label: "principal component",
        y_label: "cumulative fraction of variance",
    },
];

impl StageOp for Evaluate {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }
    fn figures(&self) -> &'static [Figure] {
        FIGURES
    }

    fn uses_device(&self) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let p = ctx.params;
        let variant = p.str("variant")?.to_string();
        let trials = p.usize("trials")?;
        let noise = Noise {
            input: p.f64("input_noise")?,
            recurrent: p.f64("recurrent_noise")?,
        };
        let device = choose_device(ctx.device)?;
        let net = load_network(ctx, ctx.stage_input("network")?, &device)?;
        let task = ctx.task("task")?;
        let batch = task.generate(trials, &variant, &mut ctx.rng("trials"))?;
        let (outputs, rollout) = run_network(&net, &batch, noise, &mut ctx.rng("noise"))?;
        ctx.write_table("outputs", outputs_table(&batch, &outputs)?)?;
        ctx.write_table("trajectories", trajectories_table(&batch, &rollout)?)?;
        let metrics = task.metrics(&batch, &outputs);
        let (names, values): (Vec<String>, Vec<f64>) = metrics.into_iter().unzip();
        ctx.write_table(
            "metrics",
            TableBuilder::new()
                .utf8("metric", &names)
                .f64("value", values)
                .build()?,
        )
    }
}

/// Runs `net` on a batch; returns the flat outputs and the rollout.
pub fn run_network(
    net: &crate::nn::Ctrnn,
    batch: &TrialBatch,
    noise: Noise,
    rng: &mut crate::rng::Rng,
) -> Result<(Vec<f32>, crate::nn::Rollout), OpError> {
    if batch.n_inputs() != net.config.n_in || batch.n_outputs() != net.config.n_out {
        return Err(OpError::invalid(format!(
            "the network has {} inputs and {} outputs, but the task has {} and {}",
            net.config.n_in,
            net.config.n_out,
            batch.n_inputs(),
            batch.n_outputs()
        )));
    }
    let (inputs, _, _) = batch_tensors(batch, &net.device).map_err(nn_err)?;
    let rollout = net.forward(&inputs, noise, rng).map_err(nn_err)?;
    let outputs = rollout
        .outputs
        .flatten_all()
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(nn_err)?;
    Ok((outputs, rollout))
}

fn outputs_table(batch: &TrialBatch, outputs: &[f32]) -> Result<arrow_array::RecordBatch, OpError> {
    let n_out = batch.n_outputs();
    let (mut trial, mut condition, mut step) = (Vec::new(), Vec::new(), Vec::new());
    let mut rows = Vec::new();
    for tr in 0..batch.n_trials {
        for s in 0..batch.n_steps {
            let row = tr * batch.n_steps + s;
            if batch.epochs[row] != TrialBatch::PADDING {
                trial.push(tr as i64);
                condition.push(batch.condition[tr]);
                step.push(s as i64);
                rows.push(row);
            }
        }
    }
    let mut t = TableBuilder::new()
        .i64("trial", trial)
        .i64("condition", condition)
        .i64("step", step);
    for (k, name) in batch.output_names.iter().enumerate() {
        t = t.f32(
            &format!("out_{name}"),
            rows.iter().map(|&r| outputs[r * n_out + k]).collect(),
        );
    }
    for (k, name) in batch.output_names.iter().enumerate() {
        t = t.f32(
            &format!("target_{name}"),
            rows.iter().map(|&r| batch.targets[r * n_out + k]).collect(),
        );
    }
    Ok(t.build()?)
}
