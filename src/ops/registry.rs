//! The operator catalogue: every operator rnx knows, in one table.

use super::{StageOp, TaskOp, analysis, claims, data, definitions, networks, script, tables, tasks};
use crate::schema::OpSchema;

/// An entry of the catalogue.
#[derive(Clone, Copy)]
pub enum Operator {
    /// Runs as a `data`, `train` or `analysis` stage.
    Stage(&'static dyn StageOp),
    /// Defines a task for `task` declarations.
    Task(&'static dyn TaskOp),
    /// A definition checked and hashed into the stages that use it (models and loss terms).
    Definition(&'static OpSchema),
}

impl Operator {
    pub fn schema(&self) -> &'static OpSchema {
        match self {
            Operator::Stage(op) => op.schema(),
            Operator::Task(op) => op.schema(),
            Operator::Definition(schema) => schema,
        }
    }
}

static OPERATORS: &[Operator] = &[
    Operator::Task(&tasks::DelayedReach),
    Operator::Task(&tasks::WorkingMemory),
    Operator::Task(&tasks::ReachTeacher),
    Operator::Task(&tasks::TrialTableTask),
    Operator::Task(&tasks::Declared),
    Operator::Stage(&data::Trials),
    Operator::Stage(&data::SwapMixture),
    Operator::Stage(&data::Load),
    Operator::Stage(&data::Nonparametric),
    Operator::Stage(&data::Recordings),
    Operator::Stage(&data::SampleUnits),
    Operator::Stage(&tables::Concat),
    Operator::Stage(&tables::Compare),
    Operator::Stage(&tables::Summary),
    Operator::Stage(&tables::Paired),
    Operator::Stage(&claims::Greater),
    Operator::Stage(&claims::AtLeast),
    Operator::Stage(&claims::Near),
    Operator::Stage(&script::Script),
    Operator::Stage(&networks::Train),
    Operator::Stage(&networks::Evaluate),
    Operator::Stage(&analysis::Robustness),
    Operator::Stage(&analysis::Pca),
    Operator::Stage(&analysis::FixedPoints),
    Operator::Stage(&analysis::SwapCurve),
    Operator::Stage(&analysis::PlaneAlignment),
    Operator::Stage(&analysis::Decoding),
    Operator::Stage(&analysis::Motifs),
    Operator::Stage(&analysis::Jpca),
    Operator::Stage(&analysis::Generalisation),
    Operator::Stage(&analysis::Scorecard),
    Operator::Stage(&analysis::Similarity),
    Operator::Definition(&definitions::CTRNN),
    Operator::Definition(&definitions::MSE),
    Operator::Definition(&definitions::RATE_L2),
    Operator::Definition(&definitions::WEIGHT_L2),
    Operator::Definition(&definitions::ACTIVITY),
    Operator::Definition(&definitions::DIFFUSION),
    Operator::Definition(&definitions::MOMENTS),
];

/// Every operator, in catalogue order.
pub fn operators() -> &'static [Operator] {
    OPERATORS
}

/// An operator's parameters with every default filled in, as the checker would (required
/// parameters are left out). `None` for an unknown operator.
pub fn default_params(name: &str) -> Option<crate::params::Params> {
    let schema = lookup(name)?.schema();
    let values = schema
        .params
        .iter()
        .filter_map(|p| Some((p.name.to_string(), crate::check::default_value(p)?.ok()?)))
        .collect();
    Some(crate::params::Params::new(values))
}

/// Finds an operator by name.
pub fn lookup(name: &str) -> Option<Operator> {
    OPERATORS.iter().copied().find(|op| op.schema().name == name)
}
