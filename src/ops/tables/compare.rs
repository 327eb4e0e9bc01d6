//! `compare`: one headline table with a row per compared stage, from each stage's one-row
//! summary table, led by the stage's name (e.g. `compare([observed_curve, diffusion_curve])`).

use super::concat::stack;
use crate::figure::{Columns, Figure, Plot};
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use std::sync::Arc;

pub struct Compare;

static SCHEMA: OpSchema = OpSchema {
    name: "compare",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "Stacks the summary tables of several stages (a list `[a, b, c]` or a family `fit[*]`) into one table with a row per stage.",
    inputs: &[InputSpec {
        name: "stages",
        accepts: &[DeclKind::Data, DeclKind::Train, DeclKind::Analysis],
        required: true,
        many: true,
        doc: "The stages to compare: a list of names, or a whole family.",
        reads: &[],
    }],
    params: &[ParamSpec::new(
        "table",
        ParamType::Str,
        "\"summary\"",
        "Which table of each stage; their columns must agree.",
    )],
    outputs: &[OutputSpec {
        name: "comparison",
        doc: "The stages' rows, in the order given, after a `stage` column naming each.",
        columns: &[ColumnSpec {
            name: "stage",
            ty: "utf8",
            doc: "The stage instance the row comes from.",
        }],
    }],
};

static FIGURES: &[Figure] = &[Figure {
    title: "Compared stages",
    table: "comparison",
    plot: Plot::Bars {
        label: "stage",
        values: Columns::Prefix("", 4),
    },
    x_label: "stage",
    y_label: "value",
}];

impl StageOp for Compare {
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
    fn figures(&self) -> &'static [Figure] {
        FIGURES
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let wanted = ctx.params.str("table")?.to_string();
        let members = ctx.stage_inputs("stages")?.to_vec();
        if members.is_empty() {
            return Err(OpError::invalid("`compare` was given no stages"));
        }
        let mut names = Vec::new();
        for member in &members {
            let rows = ctx.read_table(member, &wanted)?.num_rows();
            names.extend(std::iter::repeat_n(member.stage.clone(), rows));
        }
        let stacked = stack(ctx, &members, &wanted)?;
        let mut fields = vec![Arc::new(Field::new("stage", DataType::Utf8, false))];
        fields.extend(stacked.schema().fields().iter().cloned());
        let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from(names))];
        columns.extend(stacked.columns().iter().cloned());
        let table = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .map_err(|e| OpError::internal(e.to_string()))?;
        ctx.write_table("comparison", table)
    }
}
