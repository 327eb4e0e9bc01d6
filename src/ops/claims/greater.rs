//! `greater`: a claim that one family's column exceeds another's, pair by pair over the same
//! seeds, by a paired test at a level (Wilcoxon signed-rank or sign-flip permutation).

use super::verdict::{CLAIM_OUTPUT, COLUMN, OVER, RESAMPLES, TABLE, Verdict, family_name};
use crate::numerics::replicate_stats::{bootstrap_mean_ci, sign_flip_p, wilcoxon};
use crate::ops::tables::replicate_groups::{group, numbers, only_group, pair_up};
use crate::ops::{OpError, StageContext, StageOp};
use crate::rng::Rng;
use crate::schema::{DeclKind, InputSpec, OpSchema, ParamSpec, ParamType};
use crate::value::format_float;

pub struct Greater;

const fn family(name: &'static str, doc: &'static str) -> InputSpec {
    InputSpec {
        name,
        accepts: &[DeclKind::Data, DeclKind::Train, DeclKind::Analysis],
        required: true,
        many: true,
        doc,
        reads: &[],
    }
}

static SCHEMA: OpSchema = OpSchema {
    name: "greater",
    kinds: &[DeclKind::Claim],
    version: 1,
    doc: "Holds when `column` of `b` exceeds that of `a` pair by pair (the same seeds): the mean difference b - a is positive and the two-sided paired test's p is below `alpha`.",
    inputs: &[
        family("a", "The family claimed lower (`x[*]`)."),
        family("b", "The family claimed higher, with the same seeds."),
    ],
    params: &[
        TABLE,
        COLUMN,
        OVER,
        ParamSpec::new(
            "test",
            ParamType::Enum(&["wilcoxon", "permutation"]),
            "wilcoxon",
            "The paired test: Wilcoxon signed-rank, or the sign-flip permutation test of the mean difference.",
        ),
        ParamSpec::new(
            "alpha",
            ParamType::float(0.0, 1.0),
            "0.05",
            "The level the test's p must be below.",
        ),
        RESAMPLES,
    ],
    outputs: &CLAIM_OUTPUT,
};

impl StageOp for Greater {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }
    fn reads(
        &self,
        params: &crate::params::Params,
        _definitions: &std::collections::BTreeMap<String, crate::ops::Definition>,
    ) -> Vec<crate::ops::shapes::TableRead> {
        let mut reads = crate::ops::shapes::table_named_by("a", params, "table");
        reads.extend(crate::ops::shapes::table_named_by("b", params, "table"));
        reads
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let table = ctx.params.str("table")?.to_string();
        let column = ctx.params.str("column")?.to_string();
        let over = ctx.params.str("over")?.to_string();
        let test = ctx.params.str("test")?.to_string();
        let alpha = ctx.params.f64("alpha")?;
        let resamples = ctx.params.usize("resamples")?;
        let (members_a, members_b) = (ctx.stage_inputs("a")?.to_vec(), ctx.stage_inputs("b")?.to_vec());
        let a = group(ctx, &members_a, &table, &over, &[], "a")?;
        let b = group(ctx, &members_b, &table, &over, &[], "b")?;
        let values = |rep: &crate::ops::tables::replicate_groups::Replicates, which: &str| {
            numbers(&rep.table, &column)
                .ok_or_else(|| OpError::invalid(format!("`{which}`: table `{table}` has no numeric column `{column}`")))
        };
        let (va, vb) = (values(&a, "a")?, values(&b, "b")?);
        let (pairs, unpaired) = pair_up(only_group(&a, "a")?, Some(only_group(&b, "b")?), &va, &vb);
        let differences: Vec<f64> = pairs.iter().map(|(x, y)| y - x).collect();
        let effect = differences.iter().sum::<f64>() / differences.len() as f64;
        let (ci_low, ci_high) = bootstrap_mean_ci(
            &differences,
            0.95,
            resamples,
            &mut Rng::derive(ctx.seed, "claim/bootstrap"),
        );
        let p = match test.as_str() {
            "permutation" => sign_flip_p(&differences, resamples, &mut Rng::derive(ctx.seed, "claim/flip")),
            _ => wilcoxon(&differences).1,
        };
        let statement = format!(
            "`{column}` of `{}` > of `{}`, paired by {over}: {test} p < {}{}",
            family_name(ctx, "b")?,
            family_name(ctx, "a")?,
            format_float(alpha),
            if unpaired > 0 {
                format!(" ({unpaired} replicates without a pair left out)")
            } else {
                String::new()
            }
        );
        Verdict {
            statement,
            holds: effect > 0.0 && p < alpha,
            k: differences.iter().filter(|d| **d > 0.0).count() as i64,
            n: differences.len() as i64,
            effect,
            ci_low,
            ci_high,
            p,
        }
        .write(ctx)
    }
}
