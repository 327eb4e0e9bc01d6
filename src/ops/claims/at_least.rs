//! `at_least`: a claim that a column lies above (or below) a bound in at least k replicates, e.g.
//! that every seed learns (`above = 0.9` on `r2`) or that an effect has a sign (`above = 0`).

use super::verdict::{CLAIM_OUTPUT, COLUMN, K, OVER, RESAMPLES, TABLE, count_verdict, family_name, replicate_values};
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{DeclKind, InputSpec, OpSchema, ParamSpec, ParamType};
use crate::value::format_float;

pub struct AtLeast;

/// `above` and `below` at this size or more are no bound (the defaults, ±1e300).
const UNBOUNDED: f64 = 1e300;

static SCHEMA: OpSchema = OpSchema {
    name: "at_least",
    kinds: &[DeclKind::Claim],
    version: 1,
    doc: "Holds when `column` is above `above` and below `below` in at least `k` replicates (every one by default); a failed replicate (missing value) does not count.",
    inputs: &[InputSpec {
        name: "stages",
        accepts: &[DeclKind::Data, DeclKind::Train, DeclKind::Analysis],
        required: true,
        many: true,
        doc: "The family of replicates (`x[*]`).",
        reads: &[],
    }],
    params: &[
        TABLE,
        COLUMN,
        OVER,
        ParamSpec::new(
            "above",
            ParamType::float(f64::NEG_INFINITY, f64::INFINITY),
            "-1e300",
            "Values must exceed this (the default is no bound).",
        ),
        ParamSpec::new(
            "below",
            ParamType::float(f64::NEG_INFINITY, f64::INFINITY),
            "1e300",
            "Values must be under this (the default is no bound).",
        ),
        K,
        RESAMPLES,
    ],
    outputs: &CLAIM_OUTPUT,
};

impl StageOp for AtLeast {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }
    fn reads(
        &self,
        params: &crate::params::Params,
        _definitions: &std::collections::BTreeMap<String, crate::ops::Definition>,
    ) -> Vec<crate::ops::shapes::TableRead> {
        crate::ops::shapes::table_named_by("stages", params, "table")
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let (above, below) = (ctx.params.f64("above")?, ctx.params.f64("below")?);
        if above >= below {
            return Err(OpError::invalid(format!(
                "`above = {}` is not below `below = {}`: nothing can meet the claim",
                format_float(above),
                format_float(below)
            )));
        }
        let values = replicate_values(ctx, "stages")?;
        let bounded = |x: f64| x.abs() < UNBOUNDED;
        let bounds = match (bounded(above), bounded(below)) {
            (true, true) => format!("between {} and {}", format_float(above), format_float(below)),
            (true, false) => format!("> {}", format_float(above)),
            (false, true) => format!("< {}", format_float(below)),
            (false, false) => "finite".to_string(),
        };
        let statement = format!(
            "`{}` of `{}` {bounds}",
            ctx.params.str("column")?,
            family_name(ctx, "stages")?
        );
        count_verdict(ctx, &values, statement, |x| x > above && x < below)?.write(ctx)
    }
}
