//! `summary`: statistics of a family of replicates, per group of its other coordinates: n,
//! mean, s.d., standard error, median and a seeded percentile-bootstrap interval of the mean.

use super::replicate_groups::{group, key_columns, numbers};
use crate::figure::Figure;
use crate::numerics::replicate_stats::{bootstrap_mean_ci, describe};
use crate::ops::{OpError, StageContext, StageOp};
use crate::rng::Rng;
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Summary;

/// The parameters `summary` and `paired` share: which table, how rows are grouped, the interval.
pub const TABLE_PARAM: ParamSpec =
    ParamSpec::new("table", ParamType::Str, "\"summary\"", "Which table of each member.");
pub const OVER_PARAM: ParamSpec = ParamSpec::new(
    "over",
    ParamType::Str,
    "\"seed\"",
    "The coordinate whose values are the replicates (`replicates = N` sweeps `seed`).",
);
pub const BY_PARAM: ParamSpec = ParamSpec::new(
    "by",
    ParamType::List(&ParamType::Str),
    "[]",
    "Columns of the table that, beside the family's other coordinates, tell groups apart (e.g. `[\"step\"]`).",
);
pub const LEVEL_PARAM: ParamSpec = ParamSpec::new(
    "level",
    ParamType::float(0.5, 0.999),
    "0.95",
    "The confidence level of the bootstrap interval.",
);
pub const RESAMPLES_PARAM: ParamSpec = ParamSpec::new(
    "resamples",
    ParamType::int(100, 1_000_000),
    "10000",
    "Bootstrap resamples (and random sign flips for `paired` past 16 pairs); drawn from the stage's seed.",
);

static SCHEMA: OpSchema = OpSchema {
    name: "summary",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "Statistics of a family of replicates (e.g. `summary(fit_eval[*])` of a stage with `replicates = 5`), per group of the family's other coordinates and of `by`: n, mean, s.d., s.e., median and a percentile-bootstrap interval of the mean.",
    inputs: &[InputSpec {
        name: "stages",
        accepts: &[DeclKind::Data, DeclKind::Train, DeclKind::Analysis],
        required: true,
        many: true,
        doc: "The family (`x[*]`), varying the replicate coordinate `over`.",
        reads: &[],
    }],
    params: &[
        TABLE_PARAM,
        ParamSpec::new(
            "columns",
            ParamType::List(&ParamType::Str),
            "[]",
            "The columns to summarise; empty means every numeric column that is not a coordinate or in `by`.",
        ),
        OVER_PARAM,
        BY_PARAM,
        LEVEL_PARAM,
        RESAMPLES_PARAM,
    ],
    outputs: &[OutputSpec {
        name: "summary",
        doc: "One row per group and summarised column: the group's coordinates and `by` columns, then these.",
        columns: &[
            ColumnSpec {
                name: "column",
                ty: "utf8",
                doc: "The summarised column.",
            },
            ColumnSpec {
                name: "n",
                ty: "int64",
                doc: "Replicates with a finite value.",
            },
            ColumnSpec {
                name: "n_missing",
                ty: "int64",
                doc: "Replicates whose value is missing or not finite (a failed training shows here, not as a dropped row).",
            },
            ColumnSpec {
                name: "mean",
                ty: "float64",
                doc: "Over the finite values.",
            },
            ColumnSpec {
                name: "sd",
                ty: "float64",
                doc: "Sample standard deviation (n - 1).",
            },
            ColumnSpec {
                name: "se",
                ty: "float64",
                doc: "Standard error of the mean.",
            },
            ColumnSpec {
                name: "median",
                ty: "float64",
                doc: "The median.",
            },
            ColumnSpec {
                name: "ci_low",
                ty: "float64",
                doc: "Lower end of the percentile-bootstrap interval of the mean at `level`.",
            },
            ColumnSpec {
                name: "ci_high",
                ty: "float64",
                doc: "Upper end.",
            },
        ],
    }],
};

impl StageOp for Summary {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }
    fn figures(&self) -> &'static [Figure] {
        &[]
    }
    fn reads(
        &self,
        params: &crate::params::Params,
        _definitions: &std::collections::BTreeMap<String, crate::ops::Definition>,
    ) -> Vec<crate::ops::shapes::TableRead> {
        crate::ops::shapes::table_named_by("stages", params, "table")
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let table = ctx.params.str("table")?.to_string();
        let over = ctx.params.str("over")?.to_string();
        let by = ctx.params.list_str("by")?;
        let level = ctx.params.f64("level")?;
        let resamples = ctx.params.usize("resamples")?;
        let members = ctx.stage_inputs("stages")?.to_vec();
        let rep = group(ctx, &members, &table, &over, &by, ctx.stage)?;
        let mut columns = ctx.params.list_str("columns")?;
        if columns.is_empty() {
            columns = rep
                .table
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .filter(|c| *c != rep.over && !rep.keys.contains(c) && numbers(&rep.table, c).is_some())
                .collect();
        }
        let mut values = Vec::with_capacity(columns.len());
        for c in &columns {
            values.push(
                numbers(&rep.table, c).ok_or_else(|| {
                    OpError::invalid(format!("`columns`: table `{table}` has no numeric column `{c}`"))
                })?,
            );
        }
        let mut builder = TableBuilder::new();
        for (name, array) in key_columns(&rep, columns.len())? {
            let ty = array.data_type().clone();
            builder = builder.column(&name, ty, array);
        }
        let (mut names, mut n, mut missing) = (Vec::new(), Vec::new(), Vec::new());
        let mut stats: [Vec<f64>; 6] = Default::default();
        for g in &rep.groups {
            for (c, column) in columns.iter().zip(&values) {
                let all: Vec<f64> = g.rows.values().map(|&r| column[r]).collect();
                let finite: Vec<f64> = all.iter().copied().filter(|x| x.is_finite()).collect();
                let d = describe(&finite);
                let mut rng = Rng::derive(ctx.seed, &format!("bootstrap/{}/{c}", g.label.join("/")));
                let (low, high) = bootstrap_mean_ci(&finite, level, resamples, &mut rng);
                names.push(c.clone());
                n.push(d.n as i64);
                missing.push((all.len() - finite.len()) as i64);
                for (s, x) in stats.iter_mut().zip([d.mean, d.sd, d.se, d.median, low, high]) {
                    s.push(x);
                }
            }
        }
        let [mean, sd, se, median, low, high] = stats;
        let out = builder
            .utf8("column", &names)
            .i64("n", n)
            .i64("n_missing", missing)
            .f64("mean", mean)
            .f64("sd", sd)
            .f64("se", se)
            .f64("median", median)
            .f64("ci_low", low)
            .f64("ci_high", high)
            .build()?;
        ctx.write_table("summary", out)
    }
}
