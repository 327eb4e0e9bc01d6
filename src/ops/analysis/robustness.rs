//! `robustness`: the task's performance as extra Gaussian noise grows on the inputs and,
//! optionally, on the recurrent units (science.md, "Analyses shared by all pipelines"). Input
//! noise can be confined to one epoch (Kao 2019 perturbs the delay): it is then added to the
//! inputs of that epoch's steps only, in the same place as the model's own input noise.

use crate::figure::{Columns, Figure, Plot};
use crate::nn::choose_device;
use crate::nn::ctrnn::Noise;
use crate::ops::networks::{TRAINED_NETWORK, load_network, run_network};
use crate::ops::tasks::task::TrialBatch;
use crate::ops::{OpError, StageContext, StageOp};
use crate::rng::Rng;
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Robustness;

static SCHEMA: OpSchema = OpSchema {
    name: "robustness",
    kinds: &[DeclKind::Analysis],
    version: 2,
    doc: "Task performance per level of extra input noise (and optionally recurrent noise), many trials per level.",
    inputs: &[
        TRAINED_NETWORK,
        InputSpec {
            name: "task",
            accepts: &[DeclKind::Task],
            required: true,
            many: false,
            doc: "The task to test it on.",
            reads: &[],
        },
    ],
    params: &[
        ParamSpec::new(
            "input_noise",
            ParamType::List(&ParamType::Float { min: 0.0, max: 100.0 }),
            "[0, 0.05, 0.1, 0.2, 0.4]",
            "Standard deviations of extra input noise.",
        ),
        ParamSpec::new(
            "recurrent_noise",
            ParamType::List(&ParamType::Float { min: 0.0, max: 100.0 }),
            "[]",
            "Standard deviations of extra recurrent noise (none by default).",
        ),
        ParamSpec::new("trials", ParamType::int(1, 1_000_000), "256", "Trials per noise level."),
        ParamSpec::new("variant", ParamType::Str, "\"standard\"", "Which variant of the task."),
        ParamSpec::new(
            "epoch",
            ParamType::Str,
            "\"\"",
            "Confine the extra input noise to this epoch (e.g. \"delay\"); empty: every step.",
        ),
    ],
    outputs: &[OutputSpec {
        name: "robustness",
        doc: "One row per noise kind and level; then one float64 column per task metric (every task has mse and r2).",
        columns: &[
            ColumnSpec {
                name: "noise",
                ty: "utf8",
                doc: "`input` or `recurrent`.",
            },
            ColumnSpec {
                name: "level",
                ty: "float64",
                doc: "The extra noise's standard deviation.",
            },
        ],
    }],
};

static FIGURES: &[Figure] = &[Figure {
    title: "Performance against extra noise",
    table: "robustness",
    plot: Plot::Lines {
        x: "level",
        ys: Columns::Named(&["r2"]),
        group: Some("noise"),
        log_y: false,
    },
    x_label: "noise standard deviation",
    y_label: "R² of the outputs",
}];

impl StageOp for Robustness {
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
        let (trials, variant) = (p.usize("trials")?, p.str("variant")?.to_string());
        let mut levels: Vec<(&str, f64)> = p.list_f64("input_noise")?.into_iter().map(|l| ("input", l)).collect();
        levels.extend(p.list_f64("recurrent_noise")?.into_iter().map(|l| ("recurrent", l)));
        let device = choose_device(ctx.device)?;
        let net = load_network(ctx, ctx.stage_input("network")?, &device)?;
        let task = ctx.task("task")?;
        // Every level sees the same trials, so the curve measures the noise and nothing else.
        let batch = task.generate(trials, &variant, &mut ctx.rng("trials"))?;
        let epoch = match p.str("epoch")? {
            "" => None,
            name => Some(batch.epoch_names.iter().position(|e| e == name).ok_or_else(|| {
                OpError::invalid(format!(
                    "the task has no epoch `{name}`; its epochs: {}",
                    batch.epoch_names.join(", ")
                ))
            })? as u8),
        };
        let mut kinds = Vec::new();
        let mut values = Vec::new();
        let mut metric_columns: Vec<(String, Vec<f64>)> = Vec::new();
        for (i, (kind, level)) in levels.iter().enumerate() {
            ctx.check_interrupted()?;
            ctx.progress(i as u64, levels.len() as u64, &format!("{kind} noise {level}"));
            let mut rng = ctx.rng(&format!("noise-{kind}-{i}"));
            let (outputs, _) = match (*kind, &epoch) {
                ("input", Some(e)) => {
                    let noisy = with_input_noise(&batch, *e, *level, &mut rng);
                    run_network(&net, &noisy, Noise::default(), &mut rng)?
                }
                ("input", None) => {
                    let noise = Noise {
                        input: *level,
                        recurrent: 0.0,
                    };
                    run_network(&net, &batch, noise, &mut rng)?
                }
                _ => {
                    let noise = Noise {
                        input: 0.0,
                        recurrent: *level,
                    };
                    run_network(&net, &batch, noise, &mut rng)?
                }
            };
            for (m, (name, value)) in task.metrics(&batch, &outputs).into_iter().enumerate() {
                if metric_columns.len() <= m {
                    metric_columns.push((name, Vec::new()));
                }
                metric_columns[m].1.push(value);
            }
            kinds.push(kind.to_string());
            values.push(*level);
        }
        let mut t = TableBuilder::new().utf8("noise", &kinds).f64("level", values);
        for (name, column) in metric_columns {
            t = t.f64(&name, column);
        }
        ctx.write_table("robustness", t.build()?)
    }
}

/// The batch with Gaussian noise of s.d. `level` added to every input on the steps of `epoch`.
fn with_input_noise(batch: &TrialBatch, epoch: u8, level: f64, rng: &mut Rng) -> TrialBatch {
    let mut noisy = batch.clone();
    let n_in = batch.n_inputs();
    for (row, &e) in batch.epochs.iter().enumerate() {
        if e == epoch {
            for value in &mut noisy.inputs[row * n_in..(row + 1) * n_in] {
                *value += (level * rng.normal()) as f32;
            }
        }
    }
    noisy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::TaskOp;

    #[test]
    fn epoch_noise_touches_only_that_epoch() {
        let params = crate::ops::default_params("delayed_reach").expect("a registered task");
        let task = crate::ops::tasks::DelayedReach.build(&params).expect("defaults build");
        let batch = task.generate(8, "standard", &mut Rng::derive(1, "t")).expect("trials");
        let delay = batch.epoch_names.iter().position(|e| e == "delay").unwrap() as u8;
        let noisy = with_input_noise(&batch, delay, 0.5, &mut Rng::derive(2, "n"));
        let n_in = batch.n_inputs();
        let (mut changed, mut delay_values) = (0, 0);
        for (row, &e) in batch.epochs.iter().enumerate() {
            let (a, b) = (
                &batch.inputs[row * n_in..(row + 1) * n_in],
                &noisy.inputs[row * n_in..(row + 1) * n_in],
            );
            if e == delay {
                delay_values += n_in;
                changed += a.iter().zip(b).filter(|(x, y)| x != y).count();
            } else {
                assert_eq!(a, b, "a step outside the delay was changed");
            }
        }
        assert!(delay_values > 0 && changed == delay_values);
    }
}
