//! `scorecard`: one network's headline numbers in one row, gathered from its training and its
//! analyses, so that `compare(scorecard)` over a sweep family gives a row per network with the
//! sweep's coordinates as columns (Kao 2019's comparison of networks that reach alike; Salatiello
//! & Giese 2020's students against their teacher).

use super::wide::{float_column, int_column};
use crate::ops::networks::TRAINED_NETWORK;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{DeclKind, InputSpec, OpSchema, OutputSpec};
use crate::table::TableBuilder;
use arrow_array::{Array, RecordBatch, StringArray};

pub struct Scorecard;

const fn analysis(name: &'static str, doc: &'static str) -> InputSpec {
    InputSpec {
        name,
        accepts: &[DeclKind::Analysis],
        required: false,
        many: false,
        doc,
        reads: &[],
    }
}

static SCHEMA: OpSchema = OpSchema {
    name: "scorecard",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "One row per network: final loss and the headline numbers of whichever analyses are given.",
    inputs: &[
        TRAINED_NETWORK,
        analysis("motifs", "A `motifs` analysis: its summary columns."),
        analysis("jpca", "A `jpca` analysis: its summary columns."),
        analysis(
            "fixed_points",
            "A `fixed_points` analysis: stable points in all, and the mean distance from the epoch's end state to the nearest stable point.",
        ),
        analysis(
            "robustness",
            "A `robustness` analysis: area under its R^2 curve over input noise, per unit of noise.",
        ),
        analysis("generalisation", "A `generalisation` analysis: its summary columns."),
        analysis("similarity", "A `similarity` analysis: svcca and procrustes."),
        analysis(
            "evaluation",
            "An `evaluate` analysis (e.g. on the trained conditions): each metric as `<stage>_<metric>`.",
        ),
        analysis(
            "transfer",
            "A second `evaluate` analysis (e.g. on held-out conditions): each metric as `<stage>_<metric>`.",
        ),
    ],
    params: &[],
    outputs: &[OutputSpec {
        name: "summary",
        doc: "One row: final_loss (the weighted total) and final_mse (where the loss has `mse`), then the given analyses' numbers.",
        columns: &[],
    }],
};

impl StageOp for Scorecard {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let network = ctx.stage_input("network")?;
        let curve = ctx.read_table(network, "curve")?;
        let losses = float_column(column(&curve, "loss", &network.stage)?)?;
        let mut row: Vec<(String, f64)> = vec![("final_loss".into(), losses.last().copied().unwrap_or(f64::NAN))];
        if let Some(mse) = curve.column_by_name("mse") {
            row.push((
                "final_mse".into(),
                float_column(mse.as_ref())?.last().copied().unwrap_or(f64::NAN),
            ));
        }
        for input in ["motifs", "jpca", "generalisation", "similarity"] {
            if ctx.has_input(input) {
                let from = ctx.stage_input(input)?;
                let coords: Vec<&str> = from.coords.iter().map(|(name, _)| name.as_str()).collect();
                row.extend(one_row(&ctx.read_table(from, "summary")?, &from.stage, &coords)?);
            }
        }
        if ctx.has_input("fixed_points") {
            let from = ctx.stage_input("fixed_points")?;
            let summary = ctx.read_table(from, "summary")?;
            let stable = int_column(&summary, "stable")?;
            let distances: Vec<f64> = float_column(column(&summary, "end_distance", &from.stage)?)?
                .into_iter()
                .filter(|d| d.is_finite())
                .collect();
            row.push(("stable_points".into(), stable.iter().sum::<i64>() as f64));
            row.push((
                "end_distance".into(),
                if distances.is_empty() {
                    f64::NAN
                } else {
                    distances.iter().sum::<f64>() / distances.len() as f64
                },
            ));
        }
        if ctx.has_input("robustness") {
            let from = ctx.stage_input("robustness")?;
            row.push((
                "robustness_auc".into(),
                robustness_auc(&ctx.read_table(from, "robustness")?, &from.stage)?,
            ));
        }
        for input in ["evaluation", "transfer"] {
            if ctx.has_input(input) {
                let from = ctx.stage_input(input)?;
                let base = from.stage.split('[').next().unwrap_or(&from.stage);
                row.extend(metrics(&ctx.read_table(from, "metrics")?, base, &from.stage)?);
            }
        }
        if let Some(twice) = row
            .iter()
            .enumerate()
            .find(|(i, (name, _))| row[..*i].iter().any(|(n, _)| n == name))
        {
            return Err(OpError::invalid(format!(
                "two inputs of the scorecard give a column `{}`; name the stages apart",
                twice.1.0
            )));
        }
        let mut table = TableBuilder::new();
        for (name, value) in row {
            table = table.f64(&name, vec![value]);
        }
        ctx.write_table("summary", table.build()?)
    }
}

fn column<'a>(table: &'a RecordBatch, name: &str, stage: &str) -> Result<&'a dyn Array, OpError> {
    table
        .column_by_name(name)
        .map(|c| c.as_ref())
        .ok_or_else(|| OpError::invalid(format!("the table of `{stage}` has no column `{name}`")))
}

/// Every float column of a one-row table, leaving out the sweep coordinates the writer added.
fn one_row(table: &RecordBatch, stage: &str, coords: &[&str]) -> Result<Vec<(String, f64)>, OpError> {
    if table.num_rows() != 1 {
        return Err(OpError::invalid(format!(
            "the summary of `{stage}` has {} rows; a scorecard reads one",
            table.num_rows()
        )));
    }
    let mut out = Vec::new();
    for (field, array) in table.schema().fields().iter().zip(table.columns()) {
        if coords.contains(&field.name().as_str()) || field.name().starts_with("coord_") {
            continue;
        }
        if let Ok(values) = float_column(array.as_ref()) {
            out.push((field.name().clone(), values[0]));
        }
    }
    Ok(out)
}

/// An `evaluate` stage's metrics as `<base>_<metric>` pairs.
fn metrics(table: &RecordBatch, base: &str, stage: &str) -> Result<Vec<(String, f64)>, OpError> {
    let names = column(table, "metric", stage)?
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| OpError::invalid(format!("`metric` of `{stage}` is not a text column")))?;
    let values = float_column(column(table, "value", stage)?)?;
    Ok((0..table.num_rows())
        .map(|i| (format!("{base}_{}", names.value(i)), values[i]))
        .collect())
}

/// Mean R^2 over input-noise levels by the trapezoid rule, per unit of noise (1 for a network
/// that loses nothing to noise).
fn robustness_auc(table: &RecordBatch, stage: &str) -> Result<f64, OpError> {
    let kinds = column(table, "noise", stage)?
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| OpError::invalid("`noise` is not a text column"))?;
    let levels = float_column(column(table, "level", stage)?)?;
    let r2 = float_column(column(table, "r2", stage)?)?;
    let mut points: Vec<(f64, f64)> = (0..table.num_rows())
        .filter(|&i| kinds.value(i) == "input")
        .map(|i| (levels[i], r2[i]))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let span = match (points.first(), points.last()) {
        (Some(a), Some(b)) if b.0 > a.0 => b.0 - a.0,
        _ => return Ok(points.first().map_or(f64::NAN, |p| p.1)),
    };
    let area: f64 = points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
        .sum();
    Ok(area / span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robustness_area_is_the_trapezoid_mean_over_input_noise() {
        let table = TableBuilder::new()
            .utf8("noise", &["input", "input", "input", "recurrent"])
            .f64("level", vec![1.0, 0.0, 0.5, 0.3])
            .f64("r2", vec![0.0, 1.0, 1.0, -5.0])
            .build()
            .unwrap();
        // Levels 0, 0.5, 1 with R^2 1, 1, 0: area 0.5 + 0.25 over a span of 1; the recurrent row
        // does not count.
        assert!((robustness_auc(&table, "s").unwrap() - 0.75).abs() < 1e-12);
    }
}
