//! The syntax tree of a task written in the language: variables, epochs, channels and expressions.

use super::{Block, Ident};
use crate::source::Span;
pub use crate::trialspec::{BinOp as BinaryOp, UnOp as UnaryOp};

/// `{ settings and statements }` on the right of `task NAME =`.
#[derive(Debug, Clone)]
pub struct TaskBody {
    /// The `NAME = VALUE` entries (`dt = 20 ms`), checked against the task schema like parameters.
    pub settings: Block,
    pub stmts: Vec<TaskStmt>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct TaskStmt {
    pub kind: TaskStmtKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TaskStmtKind {
    /// `var NAME ~ DISTRIBUTION` (`draw`) or `var NAME = EXPR`.
    Var { name: Ident, draw: bool, expr: Expr },
    /// `require EXPR`: trials whose variables break it are drawn again.
    Require(Expr),
    /// `signal NAME ~ PROCESS`: a random process over the trial's steps.
    Signal { name: Ident, expr: Expr },
    /// `epoch NAME = DURATION`.
    Epoch { name: Ident, duration: Expr },
    /// `input NAME[WIDTH] = EXPR during EPOCH, ...` (or `target`).
    Channel {
        kind: ChannelKind,
        name: Ident,
        width: Option<(usize, Span)>,
        expr: Expr,
        during: Vec<Ident>,
    },
    /// `mask EPOCH, ...`: the epochs whose steps the loss counts.
    Mask(Vec<Ident>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    Input,
    Target,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Number(f64),
    /// A number with a unit, as written (`200 ms`).
    Quantity {
        value: f64,
        unit: String,
    },
    Bool(bool),
    Name(String),
    Call {
        name: Ident,
        args: Vec<FnArg>,
    },
    /// `[a, b, c]`: channels side by side.
    Vector(Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
}

/// A call's argument, positional or `name = expr`.
#[derive(Debug, Clone)]
pub struct FnArg {
    pub name: Option<Ident>,
    pub value: Expr,
}
