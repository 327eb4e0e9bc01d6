//! `sample_units`: sparse recording. A seeded random fraction of a teacher's units is
//! "recorded", and each recorded unit is assigned one to one to a student unit; the `activity`
//! loss of `train` reads both tables (Salatiello & Giese 2020).

use crate::ops::analysis::wide::float_column;
use crate::ops::{OpError, StageContext, StageOp};
use crate::rng::Rng;
use crate::schema::{
    ColumnNeed, ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType, TableNeed,
};
use crate::table::TableBuilder;
use arrow_array::{Array, Int64Array, RecordBatch, StringArray};

pub struct SampleUnits;

/// The variant recorded: the one `train` draws its trials from.
const TRAINED_VARIANT: &str = "standard";

static SCHEMA: OpSchema = OpSchema {
    name: "sample_units",
    kinds: &[DeclKind::Data],
    version: 1,
    doc: "Records a seeded random fraction of a teacher's units (its `standard` trials, the ones trained on) and assigns them one to one to student units 0..k-1.",
    inputs: &[InputSpec {
        name: "recordings",
        accepts: &[DeclKind::Data],
        required: true,
        many: false,
        doc: "A `recordings` stage: the teacher's `rates` table.",
        reads: &[TableNeed {
            table: "rates",
            columns: &[ColumnNeed::number("condition"), ColumnNeed::number("step")],
            unless_file: None,
        }],
    }],
    params: &[ParamSpec::new(
        "fraction",
        ParamType::float(0.0, 1.0),
        "0.1",
        "Fraction of teacher units recorded (rounded to whole units; 0 records none).",
    )],
    outputs: &[
        OutputSpec {
            name: "assignment",
            doc: "One row per recorded unit.",
            columns: &[
                ColumnSpec {
                    name: "teacher_unit",
                    ty: "int64",
                    doc: "The recorded teacher unit.",
                },
                ColumnSpec {
                    name: "student_unit",
                    ty: "int64",
                    doc: "The student unit whose rate must follow it.",
                },
            ],
        },
        OutputSpec {
            name: "recorded",
            doc: "condition, step, then one float32 column per recorded unit (u_k, teacher numbering), in assignment order.",
            columns: &[
                ColumnSpec {
                    name: "condition",
                    ty: "int64",
                    doc: "The condition index.",
                },
                ColumnSpec {
                    name: "step",
                    ty: "int64",
                    doc: "Time step.",
                },
            ],
        },
    ],
};

impl StageOp for SampleUnits {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let p = ctx.params;
        let fraction = p.f64("fraction")?;
        let from = ctx.stage_input("recordings")?;
        let rates = ctx.read_table(from, "rates")?;
        let units: Vec<usize> = rates
            .schema()
            .fields()
            .iter()
            .filter_map(|f| f.name().strip_prefix("u_")?.parse().ok())
            .collect();
        if units.is_empty() {
            return Err(OpError::invalid(format!(
                "the `rates` table of `{}` has no unit columns u_k",
                from.stage
            )));
        }
        // The stage's seed is derived from the pipeline's, the declaration's name and its `seed`
        // parameter, not from sweep coordinates: the members of a `fraction` sweep record nested
        // sets of units.
        let chosen = choose(&units, fraction, &mut ctx.rng("units"));
        let rows = rows_of_variant(&rates, TRAINED_VARIANT, &from.stage)?;
        let mut recorded = TableBuilder::new()
            .i64("condition", pick_i64(&rates, "condition", &rows)?)
            .i64("step", pick_i64(&rates, "step", &rows)?);
        for &u in &chosen {
            let name = format!("u_{u}");
            let column = rates
                .column_by_name(&name)
                .ok_or_else(|| OpError::invalid(format!("no column `{name}`")))?;
            let values = float_column(column.as_ref())?;
            recorded = recorded.f32(&name, rows.iter().map(|&r| values[r] as f32).collect());
        }
        ctx.write_table(
            "assignment",
            TableBuilder::new()
                .i64("teacher_unit", chosen.iter().map(|&u| u as i64).collect())
                .i64("student_unit", (0..chosen.len() as i64).collect())
                .build()?,
        )?;
        ctx.write_table("recorded", recorded.build()?)
    }
}

/// round(fraction * n) of the units, drawn without replacement by a shuffle, in the order drawn:
/// with the same generator a smaller fraction records a subset of a larger one.
pub fn choose(units: &[usize], fraction: f64, rng: &mut Rng) -> Vec<usize> {
    let k = (fraction * units.len() as f64).round() as usize;
    let mut shuffled = units.to_vec();
    rng.shuffle(&mut shuffled);
    shuffled.truncate(k.min(units.len()));
    shuffled
}

fn rows_of_variant(table: &RecordBatch, variant: &str, stage: &str) -> Result<Vec<usize>, OpError> {
    let names = table
        .column_by_name("variant")
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| OpError::invalid(format!("the `rates` table of `{stage}` has no text column `variant`")))?;
    let rows: Vec<usize> = (0..names.len()).filter(|&i| names.value(i) == variant).collect();
    if rows.is_empty() {
        return Err(OpError::invalid(format!(
            "the `rates` table of `{stage}` has no rows of variant `{variant}`"
        )));
    }
    Ok(rows)
}

fn pick_i64(table: &RecordBatch, name: &str, rows: &[usize]) -> Result<Vec<i64>, OpError> {
    let column = table
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
        .ok_or_else(|| OpError::invalid(format!("the recordings have no integer column `{name}`")))?;
    Ok(rows.iter().map(|&r| column.value(r)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fraction_of_distinct_units_is_chosen_by_seed() {
        let units: Vec<usize> = (0..200).collect();
        let pick = |fraction: f64, seed: u64| choose(&units, fraction, &mut Rng::derive(seed, "units"));
        let a = pick(0.05, 1);
        assert_eq!(a.len(), 10);
        let mut sorted = a.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 10, "no unit twice");
        assert_eq!(a, pick(0.05, 1));
        assert_ne!(a, pick(0.05, 2));
        assert!(pick(0.0, 1).is_empty());
        assert_eq!(pick(0.01, 1), a[..2], "a smaller fraction records a subset");
        assert_eq!(pick(1.0, 1).len(), 200);
    }
}
