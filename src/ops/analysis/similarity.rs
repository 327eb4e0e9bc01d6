//! `similarity`: how alike a trained network's whole population is to a teacher's, on the
//! conditions and times the two share (Salatiello & Giese 2020): SVCCA on the top PCs of each
//! population, and the orthogonal Procrustes distance.
//!
//! The student runs on the teacher's own trials (one per condition of a variant, averaged over
//! `repeats` runs of its own noise); both populations' rates are taken at every step the task's
//! loss counts, and compared as condition-time x unit matrices. Every student unit and every
//! teacher unit enters, recorded or not.

use super::wide::float_column;
use crate::figure::{Columns, Figure, Plot};
use crate::nn::choose_device;
use crate::nn::ctrnn::Noise;
use crate::nn::nn_err;
use crate::numerics::similarity::{SimilarityConfig, similarity};
use crate::ops::networks::{TRAINED_NETWORK, load_network, run_network};
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{
    ColumnKind, ColumnNeed, ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType, TableNeed,
};
use crate::table::TableBuilder;
use arrow_array::{Array, Int64Array, RecordBatch, StringArray};
use std::collections::BTreeMap;

pub struct Similarity;

static SCHEMA: OpSchema = OpSchema {
    name: "similarity",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "SVCCA (mean canonical correlation of the top-k PCs) and Procrustes distance between all student and all teacher units.",
    inputs: &[
        TRAINED_NETWORK,
        InputSpec::task("The teacher task (`reach_teacher`): its trials drive the student."),
        InputSpec {
            name: "recordings",
            accepts: &[DeclKind::Data],
            required: true,
            many: false,
            doc: "A `recordings` stage: the teacher's rates.",
            reads: &[TableNeed {
                table: "rates",
                columns: &[
                    ColumnNeed {
                        name: "variant",
                        kind: ColumnKind::Text,
                    },
                    ColumnNeed::number("condition"),
                    ColumnNeed::number("step"),
                ],
                unless_file: None,
            }],
        },
    ],
    params: &[
        ParamSpec::new(
            "variant",
            ParamType::Str,
            "\"standard\"",
            "The conditions compared (the task's variant).",
        ),
        ParamSpec::new(
            "k",
            ParamType::int(1, 1000),
            "10",
            "Principal components of each population kept for SVCCA.",
        ),
        ParamSpec::new(
            "repeats",
            ParamType::int(1, 10_000),
            "8",
            "Runs of the student per condition, averaged (its own noise).",
        ),
    ],
    outputs: &[
        OutputSpec {
            name: "summary",
            doc: "One row.",
            columns: &[
                ColumnSpec {
                    name: "svcca",
                    ty: "float64",
                    doc: "Mean canonical correlation of the top-k PCs (1: the same subspace dynamics).",
                },
                ColumnSpec {
                    name: "procrustes",
                    ty: "float64",
                    doc: "Procrustes disparity of the centred, unit-norm populations, as scipy's `procrustes` (0: identical up to rotation, scale and shift; 1 at most).",
                },
            ],
        },
        OutputSpec {
            name: "correlations",
            doc: "The canonical correlations, largest first.",
            columns: &[
                ColumnSpec {
                    name: "index",
                    ty: "int64",
                    doc: "Rank of the canonical pair.",
                },
                ColumnSpec {
                    name: "correlation",
                    ty: "float64",
                    doc: "Its correlation.",
                },
            ],
        },
    ],
};

static FIGURES: &[Figure] = &[
    Figure {
        title: "Canonical correlations with the reference population",
        table: "correlations",
        plot: Plot::Bars {
            label: "index",
            values: Columns::Named(&["correlation"]),
        },
        x_label: "canonical pair",
        y_label: "correlation",
    },
    Figure {
        title: "Similarity to the reference population",
        table: "summary",
        plot: Plot::AcrossSweep {
            ys: Columns::Named(&["svcca", "procrustes"]),
        },
        x_label: "sweep coordinate",
        y_label: "SVCCA and Procrustes distance (unitless)",
    },
];

impl StageOp for Similarity {
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
        let (variant, k, repeats) = (p.str("variant")?.to_string(), p.usize("k")?, p.usize("repeats")?);
        let task = ctx.task("task")?;
        let recordings = task.recordings(&variant)?;
        let batch = recordings.batch.clone().repeat_each(repeats);
        let device = choose_device(ctx.device)?;
        let net = load_network(ctx, ctx.stage_input("network")?, &device)?;
        let (_, rollout) = run_network(&net, &batch, Noise::default(), &mut ctx.rng("noise"))?;
        let rates: Vec<f32> = rollout.rates.flatten_all().and_then(|t| t.to_vec1()).map_err(nn_err)?;

        let from = ctx.stage_input("recordings")?;
        let teacher = TeacherRates::read(&ctx.read_table(from, "rates")?, &variant, &from.stage)?;
        if teacher.units != recordings.units {
            return Err(OpError::invalid(format!(
                "`{}` recorded {} teacher units but the task's teacher has {}; give `similarity` the recordings of its task",
                from.stage, teacher.units, recordings.units
            )));
        }
        let (steps, n_student) = (batch.n_steps, net.config.units);
        let n_out = batch.n_outputs();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for (c, &condition) in recordings.batch.condition.iter().enumerate() {
            for s in 0..steps {
                if recordings.batch.mask[(c * steps + s) * n_out] <= 0.0 {
                    continue;
                }
                for u in 0..n_student {
                    let mean = (0..repeats)
                        .map(|r| rates[(((c * repeats + r) * steps + s) * n_student) + u] as f64)
                        .sum::<f64>()
                        / repeats as f64;
                    a.push(mean);
                }
                b.extend_from_slice(teacher.at(condition, s).ok_or_else(|| {
                    OpError::invalid(format!(
                        "the recordings of `{}` lack condition {condition}, step {s} of variant `{variant}`",
                        from.stage
                    ))
                })?);
            }
        }
        let result = similarity(&a, n_student, &b, teacher.units, &SimilarityConfig { k }).map_err(OpError::invalid)?;
        ctx.write_table(
            "summary",
            TableBuilder::new()
                .f64("svcca", vec![result.svcca])
                .f64("procrustes", vec![result.procrustes])
                .build()?,
        )?;
        let n = result.canonical_correlations.len() as i64;
        ctx.write_table(
            "correlations",
            TableBuilder::new()
                .i64("index", (0..n).collect())
                .f64("correlation", result.canonical_correlations)
                .build()?,
        )
    }
}

/// A recordings stage's unit rates of one variant, by (condition, step).
struct TeacherRates {
    units: usize,
    rows: BTreeMap<(i64, i64), Vec<f64>>,
}

impl TeacherRates {
    fn read(table: &RecordBatch, variant: &str, stage: &str) -> Result<TeacherRates, OpError> {
        let missing = |name: &str| OpError::invalid(format!("the `rates` table of `{stage}` has no column `{name}`"));
        let variants = table
            .column_by_name("variant")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .ok_or_else(|| missing("variant"))?;
        let int = |name: &str| {
            table
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
                .map(|c| c.values().to_vec())
                .ok_or_else(|| missing(name))
        };
        let (condition, step) = (int("condition")?, int("step")?);
        let mut units: Vec<(usize, Vec<f64>)> = table
            .schema()
            .fields()
            .iter()
            .zip(table.columns())
            .filter_map(|(f, c)| Some((f.name().strip_prefix("u_")?.parse().ok()?, c)))
            .map(|(u, c)| Ok((u, float_column(c.as_ref())?)))
            .collect::<Result<_, OpError>>()?;
        units.sort_by_key(|(u, _)| *u);
        if units.is_empty() {
            return Err(missing("u_0"));
        }
        let mut rows = BTreeMap::new();
        for r in (0..table.num_rows()).filter(|&r| variants.value(r) == variant) {
            rows.insert((condition[r], step[r]), units.iter().map(|(_, c)| c[r]).collect());
        }
        Ok(TeacherRates {
            units: units.len(),
            rows,
        })
    }

    fn at(&self, condition: i64, step: usize) -> Option<&[f64]> {
        self.rows.get(&(condition, step as i64)).map(Vec::as_slice)
    }
}
