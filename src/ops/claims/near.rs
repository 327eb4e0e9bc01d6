//! `near`: a claim that a column reproduces a reference value (a paper's number) within a
//! tolerance, absolute or relative, in at least k replicates.

use super::verdict::{CLAIM_OUTPUT, COLUMN, K, OVER, RESAMPLES, TABLE, count_verdict, family_name, replicate_values};
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{DeclKind, InputSpec, OpSchema, ParamSpec, ParamType};
use crate::value::format_float;

pub struct Near;

static SCHEMA: OpSchema = OpSchema {
    name: "near",
    kinds: &[DeclKind::Claim],
    version: 1,
    doc: "Holds when `column` is within `tolerance` of `reference` (a fraction of it with `relative = true`) in at least `k` replicates (every one by default).",
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
        ParamSpec::required(
            "reference",
            ParamType::float(f64::NEG_INFINITY, f64::INFINITY),
            "The value to reproduce.",
        ),
        ParamSpec::required(
            "tolerance",
            ParamType::float(0.0, f64::INFINITY),
            "How far from it a value may be.",
        ),
        ParamSpec::new(
            "relative",
            ParamType::Bool,
            "false",
            "Whether `tolerance` is a fraction of |reference|.",
        ),
        K,
        RESAMPLES,
    ],
    outputs: &CLAIM_OUTPUT,
};

impl StageOp for Near {
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
        let reference = ctx.params.f64("reference")?;
        let tolerance = ctx.params.f64("tolerance")?;
        let relative = ctx.params.bool("relative")?;
        let allowed = if relative {
            tolerance * reference.abs()
        } else {
            tolerance
        };
        let values = replicate_values(ctx, "stages")?;
        let statement = format!(
            "`{}` of `{}` within {}{} of {}",
            ctx.params.str("column")?,
            family_name(ctx, "stages")?,
            format_float(if relative { tolerance * 100.0 } else { tolerance }),
            if relative { " %" } else { "" },
            format_float(reference)
        );
        count_verdict(ctx, &values, statement, |x| (x - reference).abs() <= allowed)?.write(ctx)
    }
}
