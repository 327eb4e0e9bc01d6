//! `plane_alignment`: how a network lays out the two remembered colours before and after the
//! cue (Panichello & Buschman 2021; science.md, pipeline 3). Items whose locations lie in the
//! upper half of the circle are "upper", the others "lower"; trials with one of each are used.
//! Before the cue (end of the delay), mean activity binned by the upper item's colour and by the
//! lower item's colour each spans a plane in the top three PCs; after the cue (end of the cue
//! epoch and its delay), the planes are those of the cued colour on cue-upper and on cue-lower
//! trials. `abs_cos` is |cos| of the angle between the two planes' normals: near 0 when the two
//! colours are held in orthogonal subspaces, near 1 when they share one.

use super::population::{NETWORK_ON_TWO_ITEMS, Population};
use crate::nn::ctrnn::Noise;
use crate::numerics::plane_alignment::plane_alignment;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;
use std::f64::consts::PI;

pub struct PlaneAlignment;

static SCHEMA: OpSchema = OpSchema {
    name: "plane_alignment",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "Panichello & Buschman plane alignment: |cos| between the colour planes of the upper and lower item, before and after the cue.",
    inputs: &NETWORK_ON_TWO_ITEMS,
    params: &[
        ParamSpec::new("trials", ParamType::int(10, 10_000_000), "2000", "Trials to run."),
        ParamSpec::new("bins", ParamType::int(3, 64), "4", "Colour bins per plane."),
    ],
    outputs: &[OutputSpec {
        name: "planes",
        doc: "One row per epoch.",
        columns: &[
            ColumnSpec {
                name: "epoch",
                ty: "utf8",
                doc: "pre_cue (end of the delay) or post_cue (just before the response).",
            },
            ColumnSpec {
                name: "step",
                ty: "int64",
                doc: "The time step analysed.",
            },
            ColumnSpec {
                name: "abs_cos",
                ty: "float64",
                doc: "|cos| of the angle between the two planes.",
            },
            ColumnSpec {
                name: "variance_explained",
                ty: "float64",
                doc: "Fraction of the binned means' variance in the top three PCs.",
            },
            ColumnSpec {
                name: "trials",
                ty: "int64",
                doc: "Trials used.",
            },
        ],
    }],
};

impl StageOp for PlaneAlignment {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn uses_device(&self) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let (n, bins) = (ctx.params.usize("trials")?, ctx.params.usize("bins")?);
        let pop = Population::sample(ctx, ctx.stage_input("network")?, n, Noise::default())?;
        let upper = |loc: f64| loc >= 0.0;
        let split: Vec<usize> = (0..n)
            .filter(|&t| upper(pop.cued_location[t]) != upper(pop.other_location[t]))
            .collect();
        let pre = pop
            .epoch_end("delay")
            .or_else(|| pop.epoch_end("stimulus"))
            .ok_or_else(|| OpError::invalid("the task has no delay or stimulus epoch"))?;
        let post = pop
            .epoch_end("cue_delay")
            .or_else(|| pop.epoch_end("cue"))
            .ok_or_else(|| OpError::invalid("the task has no cue epoch"))?;

        // Before the cue: the upper item's colour and the lower item's colour, same trials.
        let colour_of = |t: usize, want_upper: bool| {
            if upper(pop.cued_location[t]) == want_upper {
                pop.items.target[t]
            } else {
                pop.items.non_target[t]
            }
        };
        let pre_upper = binned_means(&pop, &split, pre, bins, |t| colour_of(t, true))?;
        let pre_lower = binned_means(&pop, &split, pre, bins, |t| colour_of(t, false))?;
        // After the cue: the cued colour, on cue-upper and on cue-lower trials.
        let (cue_up, cue_down): (Vec<usize>, Vec<usize>) = split.iter().partition(|&&t| upper(pop.cued_location[t]));
        let post_upper = binned_means(&pop, &cue_up, post, bins, |t| pop.items.target[t])?;
        let post_lower = binned_means(&pop, &cue_down, post, bins, |t| pop.items.target[t])?;

        let before = plane_alignment(&pre_upper, &pre_lower).map_err(OpError::invalid)?;
        let after = plane_alignment(&post_upper, &post_lower).map_err(OpError::invalid)?;
        ctx.write_table(
            "planes",
            TableBuilder::new()
                .utf8("epoch", &["pre_cue", "post_cue"])
                .i64("step", vec![pre as i64, post as i64])
                .f64("abs_cos", vec![before.abs_cos, after.abs_cos])
                .f64(
                    "variance_explained",
                    vec![before.variance_explained, after.variance_explained],
                )
                .i64("trials", vec![split.len() as i64, split.len() as i64])
                .build()?,
        )
    }
}

/// Mean rates at `step` of `trials` binned by `angle(trial)` into `bins` equal arcs.
fn binned_means(
    pop: &Population,
    trials: &[usize],
    step: usize,
    bins: usize,
    angle: impl Fn(usize) -> f64,
) -> Result<Vec<Vec<f64>>, OpError> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); bins];
    for &t in trials {
        let b = (((angle(t) + PI) / (2.0 * PI) * bins as f64).floor() as usize).min(bins - 1);
        members[b].push(t);
    }
    members
        .iter()
        .map(|m| {
            if m.is_empty() {
                return Err(OpError::invalid(
                    "a colour bin holds no trials; raise `trials` or lower `bins`",
                ));
            }
            let rates = pop.rates_at(m, step);
            let mut mean = vec![0.0; pop.units];
            for row in rates.chunks(pop.units) {
                mean.iter_mut().zip(row).for_each(|(a, r)| *a += r / m.len() as f64);
            }
            Ok(mean)
        })
        .collect()
}
