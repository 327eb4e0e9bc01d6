//! Tasks written in the language: the checked form of a `task NAME = { ... }` body (`ir`) and the
//! evaluation of its expressions (`eval`).
//!
//! The checker builds a `TrialSpec` from the syntax tree; the task operator `declared`
//! (`ops/tasks/declared/`) receives it, serialised, as a parameter (so it is hashed into every stage
//! that uses the task) and draws trials from it. This module sits below both and imports neither.

pub mod eval;
mod ir;

pub use ir::{BinOp, Channel, ChannelPart, Dist, Epoch, Expr, Func, Signal, TrialSpec, UnOp, Var, VarDef};
