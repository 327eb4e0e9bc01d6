//! `concat`: stacks one table from every member of a sweep family into a single table.

use crate::ops::{OpError, StageContext, StageOp, StageOutput};
use crate::schema::{DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use arrow_array::RecordBatch;

pub struct Concat;

static SCHEMA: OpSchema = OpSchema {
    name: "concat",
    kinds: &[DeclKind::Data, DeclKind::Analysis],
    version: 1,
    doc: "Stacks one table of every member of a family (e.g. `concat(fit[*])`) into one table; coordinates become columns.",
    inputs: &[InputSpec {
        name: "stages",
        accepts: &[DeclKind::Data, DeclKind::Train, DeclKind::Analysis],
        required: true,
        many: true,
        doc: "The stage (family) whose tables to stack.",
        reads: &[],
    }],
    params: &[ParamSpec::new(
        "table",
        ParamType::Str,
        "\"\"",
        "Which table of each member; empty means the member's first table (in name order).",
    )],
    outputs: &[OutputSpec {
        name: "data",
        doc: "The members' rows, member after member. Columns are the members' columns, which must agree.",
        columns: &[],
    }],
};

impl StageOp for Concat {
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
        let wanted = ctx.params.str("table")?.to_string();
        let members = ctx.stage_inputs("stages")?.to_vec();
        if members.is_empty() {
            return Err(OpError::invalid("`concat` was given no stage instances"));
        }
        let stacked = stack(ctx, &members, &wanted)?;
        ctx.write_table("data", stacked)
    }
}

/// One table of each member (`wanted`, or the first in name order where empty), stacked; their
/// columns must agree.
pub fn stack(ctx: &StageContext, members: &[StageOutput], wanted: &str) -> Result<RecordBatch, OpError> {
    let mut batches: Vec<RecordBatch> = Vec::with_capacity(members.len());
    for member in members {
        let table = if wanted.is_empty() {
            let mut tables: Vec<&String> = member.files.iter().filter(|f| f.ends_with(".parquet")).collect();
            tables.sort();
            match tables.first() {
                Some(t) => t.trim_end_matches(".parquet").to_string(),
                None => return Err(OpError::invalid(format!("stage `{}` wrote no tables", member.stage))),
            }
        } else {
            wanted.to_string()
        };
        batches.push(ctx.read_table(member, &table)?);
    }
    let schema = batches[0].schema();
    for (batch, member) in batches.iter().zip(members).skip(1) {
        if batch.schema() != schema {
            return Err(OpError::invalid(format!(
                "the tables of `{}` and `{}` have different columns; concat needs them to agree",
                members[0].stage, member.stage
            )));
        }
    }
    arrow_select::concat::concat_batches(&schema, &batches).map_err(|e| OpError::internal(e.to_string()))
}
