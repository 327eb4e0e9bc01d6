//! `motifs`: single-neuron response motifs of a reaching network and the condition-independent
//! signal of its population (Kao 2019; the criteria are documented in `analysis/motifs.rs`).

use super::network_run::NetworkRun;
use crate::numerics::motifs::{MotifCriteria, condition_independent_fraction, delay_tuned, multiphasic};
use crate::ops::networks::TRAINED_NETWORK;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;
use std::collections::BTreeMap;

pub struct Motifs;

static SCHEMA: OpSchema = OpSchema {
    name: "motifs",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "Fraction of units tuned to the target in the late delay, fraction with multiphasic movement responses, and the condition-independent share of variance.",
    inputs: &[
        TRAINED_NETWORK,
        InputSpec::task("A reach task with `delay` and `movement` epochs (`delayed_reach`)."),
    ],
    params: &[
        ParamSpec::new("trials", ParamType::int(16, 1_000_000), "512", "Trials to run."),
        ParamSpec::new(
            "tuning_ratio",
            ParamType::float(0.0, 1e6),
            "4",
            "Delay tuning: between-target over within-target variance of the late-delay rate must exceed this.",
        ),
        ParamSpec::new(
            "min_range",
            ParamType::float(0.0, 1.0),
            "0.05",
            "Delay tuning: the unit's range over targets must be at least this fraction of the largest unit's.",
        ),
        ParamSpec::new(
            "prominence",
            ParamType::float(0.0, 1.0),
            "0.2",
            "Multiphasic: an extremum counts when it stands out by this fraction of the unit's movement range.",
        ),
    ],
    outputs: &[
        OutputSpec {
            name: "units",
            doc: "One row per unit.",
            columns: &[
                ColumnSpec {
                    name: "unit",
                    ty: "int64",
                    doc: "Unit index.",
                },
                ColumnSpec {
                    name: "delay_tuned",
                    ty: "bool",
                    doc: "Tuned to the target at the end of the delay.",
                },
                ColumnSpec {
                    name: "multiphasic",
                    ty: "bool",
                    doc: "Two or more prominent extrema during the movement in most conditions.",
                },
            ],
        },
        OutputSpec {
            name: "summary",
            doc: "One row: tuned_fraction, multiphasic_fraction, ci_fraction (condition-independent share of variance from movement onset minus the shortest pre-movement period to the end of the movement).",
            columns: &[],
        },
    ],
};

impl StageOp for Motifs {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn uses_device(&self) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let p = ctx.params;
        let criteria = MotifCriteria {
            tuning_ratio: p.f64("tuning_ratio")?,
            min_range: p.f64("min_range")?,
            prominence: p.f64("prominence")?,
        };
        let run = NetworkRun::sample(ctx, p.usize("trials")?, "standard", "motifs")?;
        let units = run.units;

        // The late delay: the last delay step of every trial, grouped by target.
        let delay_starts = run.epoch_starts("delay")?;
        let go = run.epoch_starts("reaction")?;
        let mut per_condition: BTreeMap<i64, Vec<Vec<f64>>> = BTreeMap::new();
        for (trial, (&start, &g)) in delay_starts.iter().zip(&go).enumerate() {
            if g <= start {
                continue;
            }
            let rates = run.rates_at(trial, g - 1).iter().map(|&r| r as f64).collect();
            per_condition.entry(run.batch.condition[trial]).or_default().push(rates);
        }
        let groups: Vec<Vec<Vec<f64>>> = per_condition.into_values().collect();
        let tuned = delay_tuned(&groups, units, &criteria).map_err(OpError::invalid)?;

        let movement = run.epoch_length("movement")?;
        let (_, traces) = run.aligned_means("movement", 0, movement)?;
        let phasic = multiphasic(&traces, units, &criteria).map_err(OpError::invalid)?;

        let before = run.epoch_starts("movement")?.into_iter().min().unwrap_or(0);
        let (_, window) = run.aligned_means("movement", before, movement)?;
        let ci = condition_independent_fraction(&window, units).map_err(OpError::invalid)?;

        let fraction = |flags: &[bool]| flags.iter().filter(|&&f| f).count() as f64 / units as f64;
        let summary = TableBuilder::new()
            .f64("tuned_fraction", vec![fraction(&tuned)])
            .f64("multiphasic_fraction", vec![fraction(&phasic)])
            .f64("ci_fraction", vec![ci])
            .build()?;
        ctx.write_table(
            "units",
            TableBuilder::new()
                .i64("unit", (0..units as i64).collect())
                .bool("delay_tuned", tuned)
                .bool("multiphasic", phasic)
                .build()?,
        )?;
        ctx.write_table("summary", summary)
    }
}
