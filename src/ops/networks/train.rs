//! `train`: fits a `ctrnn` to a task by minimising a loss with Adam or AdamW and full
//! backpropagation through time. Writes the weights, the training curve and the trained
//! network's trial-averaged trajectories.

use super::data_pool::TrialPool;
use super::recorded_units::RecordedUnits;
use super::schedule::learning_rate;
use super::trajectories::trajectories_table;
use crate::figure::{Columns, Figure, Plot};
use crate::nn::ctrnn::{Ctrnn, CtrnnConfig, Noise, batch_tensors};
use crate::nn::diffusion::{DiffusionConfig, Weighting, response_window};
use crate::nn::loss::Loss;
use crate::nn::loss_term::LossTerm;
use crate::nn::trainer::{Batch, Trainer};
use crate::nn::{choose_device, loss, nn_err, weights};
use crate::ops::Definition;
use crate::ops::shapes::TableRead;
use crate::ops::tasks::task::{Task, TrialBatch};
use crate::ops::{OpError, StageContext, StageOp};
use crate::params::Params;
use crate::rng::Rng;
use crate::schema::{ColumnKind, ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;
use std::collections::BTreeMap;
use std::time::Instant;

pub struct Train;

static SCHEMA: OpSchema = OpSchema {
    name: "train",
    kinds: &[DeclKind::Train],
    // 2: gradients of the plain CTRNN differentiated by hand (`nn/direct_step.rs`), and W_rec's
    // gradient without the shifted copy: the same values up to f32 rounding, different bits.
    version: 2,
    doc: "Trains a ctrnn on a task with a loss (Adam/AdamW, gradient clipping, full BPTT); writes weights, curve and trajectories.",
    inputs: &[
        InputSpec {
            name: "model",
            accepts: &[DeclKind::Model],
            required: true,
            many: false,
            doc: "The network (`ctrnn`).",
            reads: &[],
        },
        InputSpec {
            name: "task",
            accepts: &[DeclKind::Task],
            required: true,
            many: false,
            doc: "The task it learns (its standard variant).",
            reads: &[],
        },
        InputSpec {
            name: "loss",
            accepts: &[DeclKind::Loss],
            required: true,
            many: false,
            doc: "The loss: a weighted sum of mse, rate_l2, weight_l2, activity, diffusion, moments.",
            reads: &[],
        },
        InputSpec {
            name: "data",
            accepts: &[DeclKind::Data],
            required: false,
            many: false,
            doc: "Optional: trials to train on instead of the task's own (a `trials` table's condition columns and `response`, rendered by the task); or, with an `activity` loss term, the recorded units (a `sample_units` stage).",
            reads: &[],
        },
    ],
    params: &[
        ParamSpec::new("steps", ParamType::int(1, 10_000_000), "1000", "Optimiser steps."),
        ParamSpec::new(
            "batch",
            ParamType::int(1, 100_000),
            "32",
            "Trials per step, freshly drawn each step.",
        ),
        ParamSpec::new(
            "repeats",
            ParamType::int(1, 100_000),
            "1",
            "Each drawn trial is repeated this many times in a batch (`moments` takes moments over them); divides `batch`.",
        ),
        ParamSpec::new("lr", ParamType::float(0.0, 10.0), "0.001", "Base learning rate."),
        ParamSpec::new(
            "optimizer",
            ParamType::Enum(&["adam", "adamw"]),
            "adamw",
            "Adam, or AdamW with decoupled weight decay.",
        ),
        ParamSpec::new(
            "weight_decay",
            ParamType::float(0.0, 10.0),
            "0.0001",
            "AdamW's decoupled weight decay (ignored by adam).",
        ),
        ParamSpec::new(
            "clip",
            ParamType::float(0.0, 1e9),
            "1",
            "Clip the global gradient norm to this; 0 turns clipping off.",
        ),
        ParamSpec::new(
            "schedule",
            ParamType::Enum(&["constant", "cosine", "step"]),
            "constant",
            "Learning-rate schedule.",
        ),
        ParamSpec::new("warmup", ParamType::int(0, 10_000_000), "0", "Steps of linear warm-up."),
        ParamSpec::new(
            "log_every",
            ParamType::int(1, 10_000_000),
            "10",
            "Steps between rows of the training curve.",
        ),
        ParamSpec::new(
            "eval_trials",
            ParamType::int(1, 100_000),
            "64",
            "Trials drawn for the trajectories table.",
        ),
    ],
    outputs: &[
        OutputSpec {
            name: "weights.safetensors",
            doc: "Effective weights w_in, w_rec, b, w_out, b_out, x0 (f32; w_rec with mask and Dale's signs applied); metadata `rnx_model` holds the configuration as JSON.",
            columns: &[],
        },
        OutputSpec {
            name: "curve",
            doc: "The training curve; one float64 column per loss term (named after the term) sits between `loss` and `grad_norm`.",
            columns: &[
                ColumnSpec {
                    name: "step",
                    ty: "int64",
                    doc: "Optimiser step (0-based).",
                },
                ColumnSpec {
                    name: "loss",
                    ty: "float64",
                    doc: "The weighted total.",
                },
                ColumnSpec {
                    name: "grad_norm",
                    ty: "float64",
                    doc: "Global gradient norm before clipping.",
                },
                ColumnSpec {
                    name: "lr",
                    ty: "float64",
                    doc: "Learning rate used at this step.",
                },
            ],
        },
        OutputSpec {
            name: "timing",
            doc: "Wall time per curve row; kept apart from `curve` because it is the one output that differs between identical runs.",
            columns: &[
                ColumnSpec {
                    name: "step",
                    ty: "int64",
                    doc: "Optimiser step.",
                },
                ColumnSpec {
                    name: "wall_time",
                    ty: "float64",
                    doc: "Seconds since training started.",
                },
            ],
        },
        OutputSpec {
            name: "trajectories",
            doc: "Trial-averaged per condition and step: in_*, out_*, target_* and one column r_k per unit (float32).",
            columns: &[
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
                ColumnSpec {
                    name: "t",
                    ty: "float64",
                    doc: "Seconds from trial start.",
                },
                ColumnSpec {
                    name: "trials",
                    ty: "int64",
                    doc: "Trials averaged.",
                },
            ],
        },
    ],
};

static FIGURES: &[Figure] = &[Figure {
    title: "Training loss",
    table: "curve",
    plot: Plot::Lines {
        x: "step",
        ys: Columns::Between("step", "grad_norm"),
        group: None,
        log_y: true,
    },
    x_label: "optimiser step",
    y_label: "loss (log scale)",
}];

impl StageOp for Train {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    /// From `data`: the recorded units where the loss has an `activity` term, else a `trials`
    /// table with the columns the task renders trials from.
    fn reads(&self, _params: &Params, definitions: &BTreeMap<String, Definition>) -> Vec<TableRead> {
        let read = |table: &str, columns: Vec<(String, ColumnKind)>| TableRead {
            input: "data".to_string(),
            table: table.to_string(),
            columns,
            named_by: None,
            unless_file: None,
        };
        if definitions
            .get("loss")
            .is_some_and(|d| Loss::parse(d).is_ok_and(|l| l.has_activity()))
        {
            return vec![read("assignment", Vec::new()), read("recorded", Vec::new())];
        }
        let columns = definitions
            .get("task")
            .and_then(|task| match crate::ops::lookup(&task.op)? {
                crate::ops::Operator::Task(op) => op.data_columns(&task.params),
                _ => None,
            })
            .unwrap_or_default();
        vec![read(
            "trials",
            columns.into_iter().map(|c| (c, ColumnKind::Number)).collect(),
        )]
    }
    fn figures(&self) -> &'static [Figure] {
        FIGURES
    }

    fn uses_device(&self) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let p = ctx.params;
        let (steps, batch_size, base_lr) = (p.usize("steps")?, p.usize("batch")?, p.f64("lr")?);
        let (clip, schedule, warmup) = (p.f64("clip")?, p.str("schedule")?.to_string(), p.usize("warmup")?);
        let (log_every, eval_trials) = (p.usize("log_every")?, p.usize("eval_trials")?);
        let weight_decay = if p.str("optimizer")? == "adam" {
            0.0
        } else {
            p.f64("weight_decay")?
        };
        let repeats = p.usize("repeats")?;
        if batch_size % repeats != 0 {
            return Err(OpError::invalid(format!(
                "`batch` ({batch_size}) must be a multiple of `repeats` ({repeats})"
            )));
        }
        let device = choose_device(ctx.device)?;
        let task = ctx.task("task")?;
        let loss_def = Loss::parse(ctx.definition("loss")?)?;
        loss_def.check_supported(repeats)?;
        let labels = loss_def.labels();
        let recording = loss_def.has_activity();
        let source = TrialSource::new(ctx, repeats, recording)?;

        let probe = source.draw(task.as_ref(), 1, &mut ctx.rng("probe"))?;
        let mut config = CtrnnConfig::from_params(
            &ctx.definition("model")?.params,
            probe.n_inputs(),
            probe.n_outputs(),
            probe.dt,
        )?;
        config.diffusion = diffusion_config(&loss_def, &probe)?;
        let recorded = if recording {
            Some(recorded_units(ctx, config.units)?)
        } else {
            None
        };
        let student_units = match &recorded {
            Some(r) if r.count() > 0 => {
                Some(candle_core::Tensor::new(r.student_units.as_slice(), &device).map_err(nn_err)?)
            }
            _ => None,
        };
        let net = Ctrnn::init(config, &mut ctx.rng("init"), &device)?;
        let mut trainer = Trainer::new(net, loss_def, base_lr, weight_decay, repeats)?;

        let mut trial_rng = ctx.rng("trials");
        let mut noise_rng = ctx.rng("noise");
        let mut curve = Curve::new(labels.len());
        let started = Instant::now();
        for step in 0..steps {
            ctx.check_interrupted()?;
            let batch = source.draw(task.as_ref(), batch_size / repeats, &mut trial_rng)?;
            let (inputs, targets, mask) = batch_tensors(&batch, &device).map_err(nn_err)?;
            let activity_tensors = match (&recorded, &student_units) {
                (Some(r), Some(_)) => {
                    let (rates, counted) = r.targets(&batch)?;
                    let shape = (batch.n_trials, batch.n_steps);
                    Some((
                        candle_core::Tensor::from_vec(rates, (shape.0, shape.1, r.count()), &device).map_err(nn_err)?,
                        candle_core::Tensor::from_vec(counted, (shape.0, shape.1, 1), &device).map_err(nn_err)?,
                    ))
                }
                _ => None,
            };
            let activity = match (&student_units, &activity_tensors) {
                (Some(units), Some((rates, counted))) => Some(loss::ActivityTargets {
                    units,
                    rates,
                    mask: counted,
                }),
                _ => None,
            };
            let lr = learning_rate(&schedule, base_lr, step, steps, warmup);
            let stats = trainer.step(
                Batch {
                    inputs: &inputs,
                    targets: &targets,
                    mask: &mask,
                    activity,
                },
                &mut noise_rng,
                clip,
                lr,
                step,
            )?;
            if step % log_every == 0 || step + 1 == steps {
                curve.push(
                    step,
                    stats.loss,
                    &stats.terms,
                    stats.grad_norm,
                    lr,
                    started.elapsed().as_secs_f64(),
                );
            }
            if step % (steps / 200).max(1) == 0 || step + 1 == steps {
                ctx.progress(step as u64 + 1, steps as u64, &format!("loss {:.4}", stats.loss));
            }
        }
        let net = trainer.net;

        ctx.write_file(
            "weights.safetensors",
            &weights::to_bytes(&net.config, &net.named_weights().map_err(nn_err)?)?,
        )?;
        let (curve_table, timing_table) = curve.tables(&labels)?;
        ctx.write_table("curve", curve_table)?;
        ctx.write_volatile_table("timing", timing_table)?;
        let eval = task.generate(eval_trials, "standard", &mut ctx.rng("eval"))?;
        let (inputs, _, _) = batch_tensors(&eval, &device).map_err(nn_err)?;
        let rollout = net
            .forward(&inputs, Noise::default(), &mut ctx.rng("eval-noise"))
            .map_err(nn_err)?;
        ctx.write_table("trajectories", trajectories_table(&eval, &rollout)?)
    }
}

/// Where training trials come from: the task's generator, or a data table rendered by the task.
struct TrialSource {
    /// The data table's trials, and the stage that wrote them (for errors).
    pool: Option<(TrialPool, String)>,
    repeats: usize,
}

impl TrialSource {
    /// With `recording`, the data input holds recorded units, not trials: trials come from the task.
    fn new(ctx: &StageContext, repeats: usize, recording: bool) -> Result<TrialSource, OpError> {
        let pool = if ctx.has_input("data") && !recording {
            let from = ctx.stage_input("data")?;
            let pool = TrialPool::from_table(&ctx.read_table(from, "trials")?, &from.stage)?;
            pool.check_repeats(repeats, &from.stage)?;
            Some((pool, from.stage.clone()))
        } else {
            None
        };
        Ok(TrialSource { pool, repeats })
    }

    /// `n` distinct trials, each repeated `repeats` times.
    fn draw(&self, task: &dyn Task, n: usize, rng: &mut Rng) -> Result<TrialBatch, OpError> {
        match &self.pool {
            Some((pool, stage)) => task.render(pool.draw(n, self.repeats, rng)).map_err(|e| match e {
                OpError::Invalid(m) => OpError::invalid(format!("table `trials` of stage `{stage}`: {m}")),
                other => other,
            }),
            None => Ok(task.generate(n, "standard", rng)?.repeat_each(self.repeats)),
        }
    }
}

/// The recorded units of the data input, for an `activity` term.
fn recorded_units(ctx: &StageContext, units: usize) -> Result<RecordedUnits, OpError> {
    if !ctx.has_input("data") {
        return Err(OpError::invalid(
            "the loss has an `activity` term but `train` has no data: give it the recorded units, e.g. `train(net, task, loss, data = recorded)` with `data recorded = sample_units(...)`",
        ));
    }
    let from = ctx.stage_input("data")?;
    RecordedUnits::from_tables(
        &ctx.read_table(from, "assignment")?,
        &ctx.read_table(from, "recorded")?,
        units,
        &from.stage,
    )
}

/// The diffusion schedule where the loss has a `diffusion` term: over the task's response epoch
/// (the steps its loss mask counts).
fn diffusion_config(loss_def: &Loss, probe: &TrialBatch) -> Result<Option<DiffusionConfig>, OpError> {
    let Some(term) = loss_def.of(LossTerm::Diffusion).next() else {
        return Ok(None);
    };
    let term = &term.def;
    let (response_start, response_steps) =
        response_window(&probe.mask, probe.n_trials, probe.n_steps, probe.n_outputs())?;
    let (beta_start, beta_end) = (term.params.f64("beta_start")?, term.params.f64("beta_end")?);
    let weighting = term.params.str("weighting")?;
    let weighting = Weighting::from_name(weighting)
        .ok_or_else(|| OpError::internal(format!("unknown diffusion weighting `{weighting}`")))?;
    Ok(Some(DiffusionConfig {
        beta_start,
        beta_end,
        response_start,
        response_steps,
        weighting,
    }))
}

/// Rows of the training curve.
struct Curve {
    step: Vec<i64>,
    loss: Vec<f64>,
    terms: Vec<Vec<f64>>,
    grad_norm: Vec<f64>,
    lr: Vec<f64>,
    wall: Vec<f64>,
}

impl Curve {
    fn new(n_terms: usize) -> Curve {
        Curve {
            step: vec![],
            loss: vec![],
            terms: vec![vec![]; n_terms],
            grad_norm: vec![],
            lr: vec![],
            wall: vec![],
        }
    }

    fn push(&mut self, step: usize, loss: f64, terms: &[f64], grad_norm: f64, lr: f64, wall: f64) {
        self.step.push(step as i64);
        self.loss.push(loss);
        for (column, v) in self.terms.iter_mut().zip(terms) {
            column.push(*v);
        }
        self.grad_norm.push(grad_norm);
        self.lr.push(lr);
        self.wall.push(wall);
    }

    /// The curve table, and the timing table apart (wall time differs between identical runs).
    fn tables(self, labels: &[String]) -> Result<(arrow_array::RecordBatch, arrow_array::RecordBatch), OpError> {
        let timing = TableBuilder::new()
            .i64("step", self.step.clone())
            .f64("wall_time", self.wall)
            .build()?;
        let mut t = TableBuilder::new().i64("step", self.step).f64("loss", self.loss);
        for (label, values) in labels.iter().zip(self.terms) {
            t = t.f64(label, values);
        }
        Ok((t.f64("grad_norm", self.grad_norm).f64("lr", self.lr).build()?, timing))
    }
}
