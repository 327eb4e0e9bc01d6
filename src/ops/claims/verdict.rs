//! A claim's verdict, as the one-row `claim` table every claim operator writes, and the parts
//! that the operators share: their common parameters, and reading one family's replicates.

use crate::ops::tables::replicate_groups::{group, numbers, only_group};
use crate::ops::{OpError, StageContext};
use crate::schema::{ColumnSpec, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;
use arrow_array::{Array, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};

/// The table every claim writes.
pub const CLAIM_TABLE: &str = "claim";

/// What a claim found.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The claim in words, with its rule.
    pub statement: String,
    pub holds: bool,
    /// Replicates (or pairs) that meet the claim, of `n`.
    pub k: i64,
    pub n: i64,
    /// The effect: a mean difference, or a mean.
    pub effect: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// The test's p, where the rule is a test; NaN otherwise.
    pub p: f64,
}

impl Verdict {
    pub fn write(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let table = TableBuilder::new()
            .utf8("statement", &[self.statement.as_str()])
            .bool("holds", vec![self.holds])
            .i64("k", vec![self.k])
            .i64("n", vec![self.n])
            .f64("effect", vec![self.effect])
            .f64("ci_low", vec![self.ci_low])
            .f64("ci_high", vec![self.ci_high])
            .f64("p", vec![self.p])
            .build()?;
        ctx.write_table(CLAIM_TABLE, table)
    }

    /// Reads a `claim` table back; `None` if it is not one.
    pub fn read(table: &RecordBatch) -> Option<Verdict> {
        let col = |name: &str| table.column_by_name(name);
        let text = col("statement")?.as_any().downcast_ref::<StringArray>()?;
        let holds = col("holds")?.as_any().downcast_ref::<BooleanArray>()?;
        let int = |name: &str| Some(col(name)?.as_any().downcast_ref::<Int64Array>()?.value(0));
        let float = |name: &str| Some(col(name)?.as_any().downcast_ref::<Float64Array>()?.value(0));
        if text.is_empty() {
            return None;
        }
        Some(Verdict {
            statement: text.value(0).to_string(),
            holds: holds.value(0),
            k: int("k")?,
            n: int("n")?,
            effect: float("effect")?,
            ci_low: float("ci_low")?,
            ci_high: float("ci_high")?,
            p: float("p")?,
        })
    }
}

const fn column(name: &'static str, ty: &'static str, doc: &'static str) -> ColumnSpec {
    ColumnSpec { name, ty, doc }
}

/// The output every claim operator declares.
pub static CLAIM_OUTPUT: [OutputSpec; 1] = [OutputSpec {
    name: CLAIM_TABLE,
    doc: "One row: the verdict and the numbers behind it.",
    columns: &[
        column("statement", "utf8", "The claim in words, with its rule."),
        column("holds", "bool", "Whether it holds."),
        column("k", "int64", "Replicates (or pairs) that meet it."),
        column("n", "int64", "Replicates (or pairs) in all, failed ones included."),
        column("effect", "float64", "The mean (difference) it is about."),
        column(
            "ci_low",
            "float64",
            "Lower end of the bootstrap interval of the effect.",
        ),
        column("ci_high", "float64", "Upper end."),
        column("p", "float64", "The test's p where the rule is a test; NaN otherwise."),
    ],
}];

/// `table`, `column` and `over`: which values of each member the claim is about.
pub const TABLE: ParamSpec = ParamSpec::new("table", ParamType::Str, "\"summary\"", "Which table of each member.");
pub const COLUMN: ParamSpec = ParamSpec::required("column", ParamType::Str, "The numeric column the claim is about.");
pub const OVER: ParamSpec = ParamSpec::new(
    "over",
    ParamType::Str,
    "\"seed\"",
    "The coordinate whose values are the replicates.",
);
pub const K: ParamSpec = ParamSpec::new(
    "k",
    ParamType::int(0, 1_000_000),
    "0",
    "How many replicates must meet it; 0 means every one.",
);
pub const RESAMPLES: ParamSpec = ParamSpec::new(
    "resamples",
    ParamType::int(100, 1_000_000),
    "10000",
    "Bootstrap resamples for the interval of the effect (and random sign flips past 16 pairs).",
);

/// One family's values of `column`, by replicate, failed (non-finite) ones as NaN.
pub fn replicate_values(ctx: &StageContext, input: &str) -> Result<Vec<f64>, OpError> {
    let members = ctx.stage_inputs(input)?.to_vec();
    let table = ctx.params.str("table")?.to_string();
    let column = ctx.params.str("column")?.to_string();
    let rep = group(ctx, &members, &table, ctx.params.str("over")?, &[], input)?;
    let values = numbers(&rep.table, &column)
        .ok_or_else(|| OpError::invalid(format!("`{input}`: table `{table}` has no numeric column `{column}`")))?;
    Ok(only_group(&rep, input)?.rows.values().map(|&r| values[r]).collect())
}

/// The verdict of "at least k of the replicates meet `meets`", with the mean of the finite values
/// as the effect.
pub fn count_verdict(
    ctx: &StageContext,
    values: &[f64],
    statement: String,
    meets: impl Fn(f64) -> bool,
) -> Result<Verdict, OpError> {
    let n = values.len() as i64;
    let met = values.iter().filter(|x| x.is_finite() && meets(**x)).count() as i64;
    let wanted = match ctx.params.i64("k")? {
        0 => n,
        k => k,
    };
    let finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let mut rng = crate::rng::Rng::derive(ctx.seed, "claim/bootstrap");
    let (ci_low, ci_high) =
        crate::numerics::replicate_stats::bootstrap_mean_ci(&finite, 0.95, ctx.params.usize("resamples")?, &mut rng);
    Ok(Verdict {
        statement: format!("{statement}, in at least {wanted} of {n} replicates"),
        holds: n > 0 && met >= wanted,
        k: met,
        n,
        effect: crate::numerics::replicate_stats::describe(&finite).mean,
        ci_low,
        ci_high,
        p: f64::NAN,
    })
}

/// The name of the family behind an input, for statements.
pub fn family_name(ctx: &StageContext, input: &str) -> Result<String, OpError> {
    let members = ctx.stage_inputs(input)?;
    Ok(members
        .first()
        .map(|m| m.stage.split('[').next().unwrap_or(&m.stage).to_string())
        .unwrap_or_default())
}
