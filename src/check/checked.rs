//! The checker's output: declarations with operators resolved, values typed, references bound.

use crate::ops::Operator;
use crate::schema::DeclKind;
use crate::source::{Sources, Span};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Index of a declaration in `Pipeline::decls`.
pub type DeclId = usize;
/// Index of a sweep coordinate in `Pipeline::coordinates`.
pub type CoordId = usize;

/// A checked pipeline: everything the planner needs, and nothing that can still be wrong.
#[derive(Clone)]
pub struct Pipeline {
    pub name: String,
    pub seed: u64,
    pub device: String,
    /// `local` or `slurm`.
    pub executor: String,
    /// The header's `slurm = { ... }` settings.
    pub slurm: std::collections::BTreeMap<String, crate::value::Value>,
    pub sources: Sources,
    /// Declarations in source order (`use`d files first).
    pub decls: Vec<CheckedDecl>,
    /// Declaration ids in dependency order: each comes after those it references.
    pub order: Vec<DeclId>,
    pub coordinates: Vec<Coordinate>,
    /// The profile that was applied, if any.
    pub profile: Option<String>,
}

impl Pipeline {
    pub fn decl(&self, name: &str) -> Option<&CheckedDecl> {
        self.decls.iter().find(|d| d.name == name)
    }
}

/// A sweep: one parameter of one declaration that takes several values.
#[derive(Debug, Clone)]
pub struct Coordinate {
    /// The name it appears under in instance names and table columns (the parameter's name).
    pub name: String,
    /// The declaration that sweeps it.
    pub origin: String,
    pub values: Vec<Value>,
    /// The parameter's type, for checking selector values against it.
    pub ty: crate::schema::ParamType,
    pub span: Span,
}

/// A parameter slot: a single value or one of a declaration's own sweeps.
#[derive(Debug, Clone)]
pub enum Slot {
    Fixed(Value),
    Swept(CoordId),
}

#[derive(Clone)]
pub struct CheckedDecl {
    pub name: String,
    pub kind: DeclKind,
    /// `None` for `loss` declarations, which are sums of terms.
    pub op: Option<Operator>,
    pub params: BTreeMap<String, Slot>,
    pub inputs: BTreeMap<String, InputRef>,
    pub terms: Vec<CheckedTerm>,
    /// Every coordinate this declaration varies over: its own sweeps and those it inherits.
    pub coords: BTreeSet<CoordId>,
    /// The whole declaration, for runtime errors.
    pub span: Span,
    pub name_span: Span,
    /// Where each parameter written in the file has its value, for errors about that value.
    pub param_spans: BTreeMap<String, Span>,
}

impl CheckedDecl {
    pub fn op_name(&self) -> &'static str {
        self.op.map_or("loss", |op| op.schema().name)
    }
}

/// One weighted term of a loss.
#[derive(Clone)]
pub struct CheckedTerm {
    pub op: Operator,
    pub weight: Slot,
    pub params: BTreeMap<String, Slot>,
    pub span: Span,
}

/// A reference from an input to another declaration, with its selector resolved.
#[derive(Debug, Clone)]
pub struct InputRef {
    pub target: DeclId,
    /// Coordinates of the target pinned to one value (by index into the coordinate's values).
    pub fixed: BTreeMap<CoordId, usize>,
    /// Coordinates of the target gathered into a family (`[*]` or `[coord = *]`).
    pub gathered: BTreeSet<CoordId>,
    pub span: Span,
}
