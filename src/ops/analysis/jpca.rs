//! `jpca`: how rotational a reaching network's population dynamics are around movement onset
//! (Churchland et al. 2012, as Kao 2019 applies it; numerics in `analysis/jpca.rs`).

use super::network_run::NetworkRun;
use crate::figure::{Columns, Figure, Plot};
use crate::numerics::jpca::{JpcaConfig, jpca};
use crate::ops::networks::TRAINED_NETWORK;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Jpca;

static SCHEMA: OpSchema = OpSchema {
    name: "jpca",
    kinds: &[DeclKind::Analysis],
    version: 2,
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
    outputs: &[
        OutputSpec {
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
        },
        OutputSpec {
            name: "plane",
            doc: "The condition-averaged states on the plane of the fastest rotation: one row per condition and step of the window.",
            columns: &[
                ColumnSpec {
                    name: "condition",
                    ty: "int64",
                    doc: "The task's condition index.",
                },
                ColumnSpec {
                    name: "t",
                    ty: "float64",
                    doc: "Time from movement onset, in seconds.",
                },
                ColumnSpec {
                    name: "jpc_1",
                    ty: "float64",
                    doc: "The state on the plane's first axis (rate units).",
                },
                ColumnSpec {
                    name: "jpc_2",
                    ty: "float64",
                    doc: "On its second axis, where the fitted flow turns the first.",
                },
            ],
        },
    ],
};

static FIGURES: &[Figure] = &[Figure {
    title: "The rotation plane",
    table: "plane",
    plot: Plot::Path {
        xy: Columns::Named(&["jpc_1", "jpc_2"]),
        group: "condition",
    },
    x_label: "jPC 1 (rate units)",
    y_label: "jPC 2 (rate units)",
}];

impl StageOp for Jpca {
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
        let run = NetworkRun::sample(ctx, p.usize("trials")?, "standard", "jpca")?;
        let dt = run.batch.dt;
        let before = ((p.f64("before")? / dt).round() as usize)
            .min(run.epoch_starts("movement")?.into_iter().min().unwrap_or(0));
        let after = run.epoch_length("movement")?;
        let (ids, conditions) = run.aligned_means("movement", before, after)?;
        let cfg = JpcaConfig {
            k: p.usize("components")?,
            subtract_cross_condition_mean: p.bool("subtract_mean")?,
        };
        let fit = jpca(&conditions, run.units, dt, &cfg).map_err(OpError::invalid)?;
        let steps = before + after;
        let (mut condition, mut t) = (Vec::new(), Vec::new());
        for &c in &ids {
            for s in 0..steps {
                condition.push(c);
                t.push((s as f64 - before as f64) * dt);
            }
        }
        let (jpc_1, jpc_2) = fit.plane_projection.iter().map(|p| (p[0], p[1])).unzip();
        ctx.write_table(
            "plane",
            TableBuilder::new()
                .i64("condition", condition)
                .f64("t", t)
                .f64("jpc_1", jpc_1)
                .f64("jpc_2", jpc_2)
                .build()?,
        )?;
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
