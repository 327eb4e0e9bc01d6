//! `trials`: writes a batch of a task's trials as tables, so a user can look at a task.

use crate::ops::tasks::task::TrialBatch;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Trials;

static SCHEMA: OpSchema = OpSchema {
    name: "trials",
    kinds: &[DeclKind::Data],
    version: 1,
    doc: "Renders `n` trials of a task (one of its variants) as a long table of inputs, targets and masks.",
    inputs: &[InputSpec {
        name: "task",
        accepts: &[DeclKind::Task],
        required: true,
        many: false,
        doc: "The task to draw trials from.",
        reads: &[],
    }],
    params: &[
        ParamSpec::new("n", ParamType::int(1, 100_000), "16", "Number of trials."),
        ParamSpec::new(
            "variant",
            ParamType::Str,
            "\"standard\"",
            "Which of the task's variants (see the task's doc).",
        ),
    ],
    outputs: &[
        OutputSpec {
            name: "trials",
            doc: "One row per trial and time step (padding after a trial's end is left out); then one column per input (`in_NAME`), target (`target_NAME`) and mask (`mask_NAME`), float32.",
            columns: &[
                ColumnSpec {
                    name: "trial",
                    ty: "int64",
                    doc: "Trial index.",
                },
                ColumnSpec {
                    name: "step",
                    ty: "int64",
                    doc: "Time step.",
                },
                ColumnSpec {
                    name: "t",
                    ty: "float64",
                    doc: "Time from trial start, seconds.",
                },
                ColumnSpec {
                    name: "epoch",
                    ty: "utf8",
                    doc: "The epoch the step belongs to.",
                },
            ],
        },
        OutputSpec {
            name: "conditions",
            doc: "One row per trial; then one float64 column per condition value of the task (angles in radians, durations in seconds).",
            columns: &[
                ColumnSpec {
                    name: "trial",
                    ty: "int64",
                    doc: "Trial index.",
                },
                ColumnSpec {
                    name: "condition",
                    ty: "int64",
                    doc: "The task's condition index, for trial-averaging.",
                },
            ],
        },
    ],
};

impl StageOp for Trials {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let task = ctx.task("task")?;
        let n = ctx.params.usize("n")?;
        let variant = ctx.params.str("variant")?.to_string();
        let batch = task.generate(n, &variant, &mut ctx.rng("trials"))?;
        ctx.write_table("trials", long_table(&batch)?)?;
        ctx.write_table("conditions", conditions_table(&batch)?)
    }
}

/// The long table: one row per real (unpadded) step of every trial.
pub fn long_table(b: &TrialBatch) -> Result<arrow_array::RecordBatch, OpError> {
    let mut trial = Vec::new();
    let mut step = Vec::new();
    let mut time = Vec::new();
    let mut epoch = Vec::new();
    let mut rows = Vec::new();
    for tr in 0..b.n_trials {
        for s in 0..b.n_steps {
            let e = b.epochs[tr * b.n_steps + s];
            if e == TrialBatch::PADDING {
                continue;
            }
            trial.push(tr as i64);
            step.push(s as i64);
            time.push(s as f64 * b.dt);
            epoch.push(b.epoch_names.get(e as usize).map_or("?", |n| n.as_str()));
            rows.push(tr * b.n_steps + s);
        }
    }
    let mut t = TableBuilder::new()
        .i64("trial", trial)
        .i64("step", step)
        .f64("t", time)
        .utf8("epoch", &epoch);
    let channel =
        |data: &[f32], width: usize, k: usize| rows.iter().map(|&r| data[r * width + k]).collect::<Vec<f32>>();
    for (k, name) in b.input_names.iter().enumerate() {
        t = t.f32(&format!("in_{name}"), channel(&b.inputs, b.n_inputs(), k));
    }
    for (k, name) in b.output_names.iter().enumerate() {
        t = t.f32(&format!("target_{name}"), channel(&b.targets, b.n_outputs(), k));
    }
    for (k, name) in b.output_names.iter().enumerate() {
        t = t.f32(&format!("mask_{name}"), channel(&b.mask, b.n_outputs(), k));
    }
    Ok(t.build()?)
}

/// The per-trial condition table.
pub fn conditions_table(b: &TrialBatch) -> Result<arrow_array::RecordBatch, OpError> {
    let mut t = TableBuilder::new()
        .i64("trial", (0..b.n_trials as i64).collect())
        .i64("condition", b.condition.clone());
    for (name, values) in &b.conditions {
        t = t.f64(name, values.clone());
    }
    Ok(t.build()?)
}
