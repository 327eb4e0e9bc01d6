//! `paired`: two families of replicates with the same seeds compared pair by pair: the mean
//! difference `b - a` with a bootstrap interval, the Wilcoxon signed-rank p and a sign-flip
//! permutation p, per group of the families' other coordinates.

use super::replicate_groups::{Replicates, group, key_columns, numbers, pair_up};
use super::summary::{BY_PARAM, LEVEL_PARAM, OVER_PARAM, RESAMPLES_PARAM, TABLE_PARAM};
use crate::numerics::replicate_stats::{bootstrap_mean_ci, sign_flip_p, wilcoxon};
use crate::ops::{OpError, StageContext, StageOp};
use crate::rng::Rng;
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Paired;

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

const fn float(name: &'static str, doc: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        ty: "float64",
        doc,
    }
}

static SCHEMA: OpSchema = OpSchema {
    name: "paired",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "Compares one column of two families of replicates with the same seeds, pair by pair (e.g. `paired(baseline[*], treated[*]) { column = \"r2\" }`): the mean difference b - a with a bootstrap interval, a Wilcoxon signed-rank p and a sign-flip permutation p, per group of the families' other coordinates.",
    inputs: &[
        family("a", "The first family (`x[*]`)."),
        family(
            "b",
            "The second family, varying the same replicate coordinate with the same values.",
        ),
    ],
    params: &[
        TABLE_PARAM,
        ParamSpec::required("column", ParamType::Str, "The numeric column to compare."),
        OVER_PARAM,
        BY_PARAM,
        LEVEL_PARAM,
        RESAMPLES_PARAM,
    ],
    outputs: &[OutputSpec {
        name: "comparison",
        doc: "One row per group: the group's coordinates and `by` columns, then these.",
        columns: &[
            ColumnSpec {
                name: "n",
                ty: "int64",
                doc: "Pairs: replicate values present in both families with finite values in both.",
            },
            ColumnSpec {
                name: "n_unpaired",
                ty: "int64",
                doc: "Replicates left out: present in one family only, or not finite in one.",
            },
            float("mean_a", "Mean of `a` over the pairs."),
            float("mean_b", "Mean of `b` over the pairs."),
            float("difference", "Mean of b - a over the pairs."),
            float(
                "ci_low",
                "Lower end of the percentile-bootstrap interval of the mean difference at `level`.",
            ),
            float("ci_high", "Upper end."),
            float("wilcoxon_statistic", "min(W+, W-) of the signed-rank test."),
            float(
                "wilcoxon_p",
                "Two-sided; exact without ties up to 50 pairs, else the normal approximation (scipy's `method=\"approx\"`).",
            ),
            float(
                "permutation_p",
                "Two-sided sign-flip test of the mean difference; exact up to 16 pairs, else `resamples` random flips.",
            ),
        ],
    }],
};

impl StageOp for Paired {
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
        let by = ctx.params.list_str("by")?;
        let level = ctx.params.f64("level")?;
        let resamples = ctx.params.usize("resamples")?;
        let (members_a, members_b) = (ctx.stage_inputs("a")?.to_vec(), ctx.stage_inputs("b")?.to_vec());
        let a = group(ctx, &members_a, &table, &over, &by, "a")?;
        let b = group(ctx, &members_b, &table, &over, &by, "b")?;
        if a.keys != b.keys {
            return Err(OpError::invalid(format!(
                "`a` groups by [{}] and `b` by [{}]; compare families with the same other coordinates",
                a.keys.join(", "),
                b.keys.join(", ")
            )));
        }
        let values = |rep: &Replicates, which: &str| {
            numbers(&rep.table, &column)
                .ok_or_else(|| OpError::invalid(format!("`{which}`: table `{table}` has no numeric column `{column}`")))
        };
        let (va, vb) = (values(&a, "a")?, values(&b, "b")?);

        let mut out: [Vec<f64>; 8] = Default::default();
        let (mut n, mut unpaired) = (Vec::new(), Vec::new());
        for g in &a.groups {
            let partner = b.groups.iter().find(|h| h.label == g.label);
            let (pairs, left_out) = pair_up(g, partner, &va, &vb);
            let differences: Vec<f64> = pairs.iter().map(|(x, y)| y - x).collect();
            let count = pairs.len() as f64;
            let stream = format!("paired/{}", g.label.join("/"));
            let (low, high) = bootstrap_mean_ci(&differences, level, resamples, &mut Rng::derive(ctx.seed, &stream));
            let (statistic, p) = wilcoxon(&differences);
            let permutation = sign_flip_p(
                &differences,
                resamples,
                &mut Rng::derive(ctx.seed, &format!("{stream}/flip")),
            );
            let row = [
                pairs.iter().map(|p| p.0).sum::<f64>() / count,
                pairs.iter().map(|p| p.1).sum::<f64>() / count,
                differences.iter().sum::<f64>() / count,
                low,
                high,
                statistic,
                p,
                permutation,
            ];
            for (column, x) in out.iter_mut().zip(row) {
                column.push(x);
            }
            n.push(pairs.len() as i64);
            unpaired.push(left_out as i64);
        }
        let mut builder = TableBuilder::new();
        for (name, array) in key_columns(&a, 1)? {
            let ty = array.data_type().clone();
            builder = builder.column(&name, ty, array);
        }
        let [mean_a, mean_b, difference, low, high, statistic, p, permutation] = out;
        let table = builder
            .i64("n", n)
            .i64("n_unpaired", unpaired)
            .f64("mean_a", mean_a)
            .f64("mean_b", mean_b)
            .f64("difference", difference)
            .f64("ci_low", low)
            .f64("ci_high", high)
            .f64("wilcoxon_statistic", statistic)
            .f64("wilcoxon_p", p)
            .f64("permutation_p", permutation)
            .build()?;
        ctx.write_table("comparison", table)
    }
}
