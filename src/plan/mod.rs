//! Planning: expanding sweeps into stage instances and linking them into a petgraph DAG.
//!
//! Pure: takes a checked pipeline, returns the plan. Definitions are resolved into the stage
//! instances that use them; only stages become graph nodes.

mod expand;
mod render;
mod tables;

pub use expand::plan;
pub use tables::check_tables;

use crate::ops::{Definition, StageOp};
use crate::params::Params;
use crate::source::Span;
use crate::value::Value;
use petgraph::graph::DiGraph;
use std::collections::BTreeMap;

/// Index of an instance in `Plan::instances`.
pub type InstanceId = usize;

/// Every stage instance of a pipeline and the dependencies between them.
pub struct Plan {
    pub pipeline: String,
    pub instances: Vec<Instance>,
    /// Edges run from an input instance to the instance that uses it.
    pub graph: DiGraph<InstanceId, ()>,
    /// Instance ids in an order where inputs come first.
    pub order: Vec<InstanceId>,
}

/// One stage with one value for each of its sweep coordinates.
pub struct Instance {
    /// `decl` or `decl[coord=value,...]`, coordinates sorted by name.
    pub name: String,
    pub decl_name: String,
    pub kind: crate::schema::DeclKind,
    pub op: &'static dyn StageOp,
    pub coords: Vec<(String, Value)>,
    pub params: Params,
    pub inputs: BTreeMap<String, PlannedInput>,
    /// The stage's random seed, derived from the pipeline seed, its name and its `seed` parameter.
    pub seed: u64,
    /// The declaration, for pointing runtime errors at it.
    pub span: Span,
    /// The stage's `slurm = { ... }` resources (not part of its key).
    pub slurm: std::collections::BTreeMap<String, Value>,
}

/// What an input of an instance is bound to.
#[derive(Debug, Clone)]
pub enum PlannedInput {
    Definition(Definition),
    Stages(Vec<InstanceId>),
}

impl Plan {
    /// The instances whose declaration or instance name is `name`.
    pub fn find(&self, name: &str) -> Vec<InstanceId> {
        (0..self.instances.len())
            .filter(|&i| self.instances[i].name == name || self.instances[i].decl_name == name)
            .collect()
    }
}
