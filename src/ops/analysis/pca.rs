//! `pca`: principal components of a stage's trial-averaged unit rates: variance explained,
//! participation-ratio dimensionality, and the trajectories in the top components.

use super::wide::{int_column, rate_matrix};
use crate::figure::{Columns, Figure, Plot};
use crate::numerics::pca::pca;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamType};
use crate::table::TableBuilder;

pub struct Pca;

crate::op_params! {
    /// `pca`'s parameters.
    pub struct PcaParams {
        components: usize = ParamType::int(1, 64), "3", "Components kept for the projection.";
        table: String = ParamType::Str, "\"trajectories\"", "The table holding the r_k columns.";
    }
}

static SCHEMA: OpSchema = OpSchema {
    name: "pca",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "PCA of trial-averaged unit rates (a `trajectories` table of train or evaluate).",
    inputs: &[InputSpec {
        name: "stage",
        accepts: &[DeclKind::Train, DeclKind::Analysis],
        required: true,
        many: false,
        doc: "A stage with a `trajectories` table (train, evaluate).",
        reads: &[],
    }],
    params: PcaParams::PARAMS,
    outputs: &[
        OutputSpec {
            name: "variance",
            doc: "Variance per component, all components.",
            columns: &[
                ColumnSpec {
                    name: "component",
                    ty: "int64",
                    doc: "1-based.",
                },
                ColumnSpec {
                    name: "variance",
                    ty: "float64",
                    doc: "Variance along it.",
                },
                ColumnSpec {
                    name: "ratio",
                    ty: "float64",
                    doc: "Fraction of the total.",
                },
                ColumnSpec {
                    name: "cumulative",
                    ty: "float64",
                    doc: "Cumulative fraction.",
                },
            ],
        },
        OutputSpec {
            name: "projection",
            doc: "The trajectories in the top components: then pc_1 .. pc_k (float64).",
            columns: &[
                ColumnSpec {
                    name: "condition",
                    ty: "int64",
                    doc: "Condition.",
                },
                ColumnSpec {
                    name: "step",
                    ty: "int64",
                    doc: "Time step.",
                },
            ],
        },
        OutputSpec {
            name: "summary",
            doc: "One row.",
            columns: &[
                ColumnSpec {
                    name: "participation_ratio",
                    ty: "float64",
                    doc: "(sum lambda)^2 / sum lambda^2.",
                },
                ColumnSpec {
                    name: "units",
                    ty: "int64",
                    doc: "Number of units.",
                },
                ColumnSpec {
                    name: "samples",
                    ty: "int64",
                    doc: "Rows (condition x step) analysed.",
                },
            ],
        },
    ],
};

static FIGURES: &[Figure] = &[
    Figure {
        title: "Trajectories in the top two PCs",
        table: "projection",
        plot: Plot::Path {
            xy: Columns::Prefix("pc_", 2),
            group: "condition",
        },
        x_label: "PC 1 (rate units)",
        y_label: "PC 2 (rate units)",
    },
    Figure {
        title: "Variance explained",
        table: "variance",
        plot: Plot::Lines {
            x: "component",
            ys: Columns::Named(&["cumulative"]),
            group: None,
            log_y: false,
        },
        x_label: "component",
        y_label: "cumulative fraction of variance",
    },
];

impl StageOp for Pca {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }
    fn reads(
        &self,
        params: &crate::params::Params,
        _definitions: &std::collections::BTreeMap<String, crate::ops::Definition>,
    ) -> Vec<crate::ops::shapes::TableRead> {
        crate::ops::shapes::table_named_by("stage", params, "table")
    }
    fn figures(&self) -> &'static [Figure] {
        FIGURES
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let PcaParams {
            components: k,
            table: table_name,
        } = PcaParams::read(ctx.params)?;
        let table = ctx.read_table(ctx.stage_input("stage")?, &table_name)?;
        let (data, rows, units) = rate_matrix(&table)?;
        let fit = pca(&data, rows, units, k).map_err(OpError::invalid)?;
        let n_all = fit.explained_variance.len();
        let mut cumulative = 0.0;
        let cum: Vec<f64> = fit
            .explained_ratio
            .iter()
            .map(|r| {
                cumulative += r;
                cumulative
            })
            .collect();
        ctx.write_table(
            "variance",
            TableBuilder::new()
                .i64("component", (1..=n_all as i64).collect())
                .f64("variance", fit.explained_variance.clone())
                .f64("ratio", fit.explained_ratio.clone())
                .f64("cumulative", cum)
                .build()?,
        )?;
        let mut proj = TableBuilder::new()
            .i64("condition", int_column(&table, "condition")?)
            .i64("step", int_column(&table, "step")?);
        let projected: Vec<Vec<f64>> = data.chunks(units).map(|row| fit.project(row)).collect();
        for c in 0..fit.components.len() {
            proj = proj.f64(&format!("pc_{}", c + 1), projected.iter().map(|p| p[c]).collect());
        }
        ctx.write_table("projection", proj.build()?)?;
        ctx.write_table(
            "summary",
            TableBuilder::new()
                .f64("participation_ratio", vec![fit.participation_ratio])
                .i64("units", vec![units as i64])
                .i64("samples", vec![rows as i64])
                .build()?,
        )
    }
}
