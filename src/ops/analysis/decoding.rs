//! `decoding`: how well the cued and the uncued colour can be read out of a network's activity
//! over the trial, in trials where it reported the cued colour (correct) and in trials where it
//! reported the other one (swap) (science.md, pipeline 3). At each step a ridge decoder of each
//! colour is cross-validated on correct trials; the same decoder, fitted on all correct trials,
//! is applied to the swap trials. A swap that comes from a memory that had bound the colours the
//! wrong way shows the uncued colour where correct trials show the cued one.

use super::population::{NETWORK_ON_TWO_ITEMS, Population};
use crate::nn::ctrnn::Noise;
use crate::numerics::decoding::{DecodingOptions, cross_validate, fit, mean_cosine};
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Decoding;

static SCHEMA: OpSchema = OpSchema {
    name: "decoding",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "Cross-validated ridge decoding of the cued and the uncued colour over time, in correct trials and (with decoders fitted on correct trials) in swap trials.",
    inputs: &NETWORK_ON_TWO_ITEMS,
    params: &[
        ParamSpec::new("trials", ParamType::int(10, 10_000_000), "2000", "Trials to run."),
        ParamSpec::new("folds", ParamType::int(2, 100), "5", "Cross-validation folds."),
        ParamSpec::new("lambda", ParamType::float(0.0, 1e9), "1", "Ridge penalty."),
        ParamSpec::new("every", ParamType::int(1, 10_000), "2", "Decode every this many steps."),
    ],
    outputs: &[OutputSpec {
        name: "decoding",
        doc: "One row per step, trial kind (correct, swap) and colour (cued, uncued); NaN where there are too few swap trials.",
        columns: &[
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
                name: "epoch",
                ty: "utf8",
                doc: "The task epoch of the step.",
            },
            ColumnSpec {
                name: "trials",
                ty: "utf8",
                doc: "correct or swap.",
            },
            ColumnSpec {
                name: "colour",
                ty: "utf8",
                doc: "cued or uncued.",
            },
            ColumnSpec {
                name: "mean_cos",
                ty: "float64",
                doc: "Mean cos(decoded - true colour): 1 perfect, 0 chance.",
            },
            ColumnSpec {
                name: "n",
                ty: "int64",
                doc: "Trials decoded.",
            },
        ],
    }],
};

impl StageOp for Decoding {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn uses_device(&self) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let p = ctx.params;
        let (n, every) = (p.usize("trials")?, p.usize("every")?);
        let options = DecodingOptions {
            lambda: p.f64("lambda")?,
            folds: p.usize("folds")?,
        };
        let pop = Population::sample(ctx, ctx.stage_input("network")?, n, Noise::default())?;
        let (swaps, correct): (Vec<usize>, Vec<usize>) = (0..n).partition(|&t| pop.swapped(t));
        if correct.len() < options.folds {
            return Err(OpError::invalid(format!(
                "only {} correct trials; raise `trials`",
                correct.len()
            )));
        }
        let colours = |trials: &[usize], cued: bool| -> Vec<f64> {
            trials
                .iter()
                .map(|&t| {
                    if cued {
                        pop.items.target[t]
                    } else {
                        pop.items.non_target[t]
                    }
                })
                .collect()
        };
        let mut rows = Rows::default();
        let steps: Vec<usize> = (0..pop.batch.n_steps).step_by(every).collect();
        let mut rng = ctx.rng("folds");
        for (i, &step) in steps.iter().enumerate() {
            ctx.check_interrupted()?;
            if i % 8 == 0 {
                ctx.progress(i as u64, steps.len() as u64, &format!("step {step}"));
            }
            let epoch_index = pop.batch.epochs[step] as usize;
            let epoch = pop.batch.epoch_names.get(epoch_index).cloned().unwrap_or_default();
            let x_correct = pop.rates_at(&correct, step);
            let x_swap = pop.rates_at(&swaps, step);
            for (colour, cued) in [("cued", true), ("uncued", false)] {
                let truth = colours(&correct, cued);
                let held_out =
                    cross_validate(&x_correct, pop.units, &truth, &options, &mut rng).map_err(OpError::invalid)?;
                rows.push(step, &epoch, "correct", colour, held_out.mean_cos, correct.len());
                let on_swaps = if swaps.len() >= 2 {
                    let decoder = fit(&x_correct, pop.units, &truth, options.lambda).map_err(OpError::invalid)?;
                    let decoded = decoder.predict(&x_swap).map_err(OpError::invalid)?;
                    mean_cosine(&decoded, &colours(&swaps, cued)).map_err(OpError::invalid)?
                } else {
                    f64::NAN
                };
                rows.push(step, &epoch, "swap", colour, on_swaps, swaps.len());
            }
        }
        let dt = pop.batch.dt;
        ctx.write_table(
            "decoding",
            TableBuilder::new()
                .i64("step", rows.step.iter().map(|&s| s as i64).collect())
                .f64("t", rows.step.iter().map(|&s| s as f64 * dt).collect())
                .utf8("epoch", &rows.epoch)
                .utf8("trials", &rows.kind)
                .utf8("colour", &rows.colour)
                .f64("mean_cos", rows.mean_cos)
                .i64("n", rows.n)
                .build()?,
        )
    }
}

#[derive(Default)]
struct Rows {
    step: Vec<usize>,
    epoch: Vec<String>,
    kind: Vec<&'static str>,
    colour: Vec<&'static str>,
    mean_cos: Vec<f64>,
    n: Vec<i64>,
}

impl Rows {
    fn push(&mut self, step: usize, epoch: &str, kind: &'static str, colour: &'static str, value: f64, n: usize) {
        self.step.push(step);
        self.epoch.push(epoch.to_string());
        self.kind.push(kind);
        self.colour.push(colour);
        self.mean_cos.push(value);
        self.n.push(n as i64);
    }
}
