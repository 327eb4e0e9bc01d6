//! `jpca`: how rotational a reaching network's population dynamics are around movement onset
//! (Churchland et al. 2012, as Kao 2019 applies it; numerics in `analysis/jpca.rs`).

use super::network_run::NetworkRun;
use crate::analysis::jpca::{JpcaConfig, jpca};
use crate::ops::train::TRAINED_NETWORK;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Jpca;

static SCHEMA: OpSchema = OpSchema {
    name: "jpca",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "jPCA of condition-averaged activity around movement onset: R^2 of skew-symmetric and unconstrained linear dynamics, their ratio, rotation frequencies.",
    inputs: &[
        TRAINED_NETWORK,
        InputSpec::task("A reach task with a `movement` epoch (`delayed_reach`)."),
    ],
    params: &[
        ParamSpec::new("trials", ParamType::int(8, 1_000_000), "256", "Trials to run."),
        ParamSpec::new("components", ParamType::int(2, 64), "6", "Principal components (even)."),
        ParamSpec::new(
            "before",
            ParamType::time(0.0, 60.0),
            "100 ms",
            "Time before movement onset where the window starts; it runs to the movement's end.",
        ),
        ParamSpec::new(
            "subtract_mean",
            ParamType::Bool,
            "true",
            "Subtract the cross-condition mean (the condition-independent signal) first.",
        ),
    ],
    outputs: &[OutputSpec {
        name: "summary",
        doc: "One row.",
        columns: &[
            ColumnSpec {
                name: "jpca_r2_skew",
                ty: "float64",
                doc: "R^2 of dX = X M with M skew-symmetric.",
            },
            ColumnSpec {
                name: "jpca_r2_free",
                ty: "float64",
                doc: "R^2 with M unconstrained.",
            },
            ColumnSpec {
                name: "jpca_ratio",
                ty: "float64",
                doc: "Their ratio: near 1 for rotational dynamics.",
            },
            ColumnSpec {
                name: "jpca_frequency_hz",
                ty: "float64",
                doc: "The fastest rotation's frequency (NaN if none).",
            },
        ],
    }],
};

impl StageOp for Jpca {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn uses_device(&self) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let p = ctx.params;
        let run = NetworkRun::sample(ctx, p.usize("trials")?, "standard", "jpca")?;
        let dt = run.batch.dt;
        let before = ((p.f64("before")? / dt).round() as usize)
            .min(run.epoch_starts("movement")?.into_iter().min().unwrap_or(0));
        let after = run.epoch_length("movement")?;
        let (_, conditions) = run.aligned_means("movement", before, after)?;
        let cfg = JpcaConfig {
            k: p.usize("components")?,
            subtract_cross_condition_mean: p.bool("subtract_mean")?,
        };
        let fit = jpca(&conditions, run.units, dt, &cfg).map_err(OpError::invalid)?;
        ctx.write_table(
            "summary",
            TableBuilder::new()
                .f64("jpca_r2_skew", vec![fit.r2_skew])
                .f64("jpca_r2_free", vec![fit.r2_unconstrained])
                .f64("jpca_ratio", vec![fit.ratio])
                .f64(
                    "jpca_frequency_hz",
                    vec![fit.frequencies_hz.first().copied().unwrap_or(f64::NAN)],
                )
                .build()?,
        )
    }
}
