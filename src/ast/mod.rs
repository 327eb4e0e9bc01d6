//! The syntax tree of a `.rnx` file, with spans. Built by `syntax`, read by `check`.

mod task;

pub use task::{BinaryOp, ChannelKind, Expr, ExprKind, FnArg, TaskBody, TaskStmt, TaskStmtKind, UnaryOp};

use crate::schema::DeclKind;
use crate::source::{SourceId, Span};

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed file.
#[derive(Debug, Clone)]
pub struct Module {
    pub source: SourceId,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Pipeline(PipelineHeader),
    Use(UseStmt),
    Profile(Profile),
    Declaration(Declaration),
}

/// `pipeline NAME { seed = 1  device = auto }`.
#[derive(Debug, Clone)]
pub struct PipelineHeader {
    pub name: Ident,
    pub settings: Block,
    pub span: Span,
}

/// `use "other.rnx"`.
#[derive(Debug, Clone)]
pub struct UseStmt {
    pub path: String,
    pub span: Span,
}

/// `profile NAME { stage.param = value ... }`.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: Ident,
    pub overrides: Vec<Override>,
    pub span: Span,
}

/// `stage.param = value`, in a profile or from `--set`.
#[derive(Debug, Clone)]
pub struct Override {
    /// The declaration name, then the parameter path (nested blocks).
    pub path: Vec<Ident>,
    pub value: Value,
    pub span: Span,
}

/// `KIND NAME = BODY`.
#[derive(Debug, Clone)]
pub struct Declaration {
    pub kind: DeclKind,
    pub kind_span: Span,
    pub name: Ident,
    pub body: DeclBody,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum DeclBody {
    /// `op(args) { params }`.
    Call(Call),
    /// A weighted sum of loss terms; only `loss` declarations may have more than one term.
    Loss(LossExpr),
    /// A task written in the language: `{ dt = 20 ms  var x ~ ...  epoch ...  input ... }`.
    Task(TaskBody),
}

/// `op(arg, name = value) { key = value }`.
#[derive(Debug, Clone)]
pub struct Call {
    pub op: Ident,
    pub args: Vec<Arg>,
    pub block: Option<Block>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Arg {
    Positional(Value),
    Named(Ident, Value),
}

/// `{ key = value ... }`.
#[derive(Debug, Clone)]
pub struct Block {
    pub entries: Vec<Entry>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: Ident,
    pub value: Value,
}

/// `term + w * term - ...`.
#[derive(Debug, Clone)]
pub struct LossExpr {
    pub terms: Vec<LossTerm>,
    pub span: Span,
}

/// One weighted term of a loss.
#[derive(Debug, Clone)]
pub struct LossTerm {
    /// `-1` when the term follows a minus sign.
    pub sign: f64,
    /// The weight before `*`: a number or a sweep of numbers.
    pub weight: Option<Value>,
    pub call: Call,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ValueKind {
    /// A number; `integer` is set when it was written without a fraction or exponent.
    Number {
        value: f64,
        integer: Option<i64>,
    },
    Quantity {
        value: f64,
        unit: String,
    },
    Str(String),
    Bool(bool),
    List(Vec<Value>),
    Block(Block),
    Sweep(Vec<Value>),
    /// A bare identifier: an enumeration value or a reference, decided by the checker.
    Reference(Reference),
}

/// `name`, `name[coord = value]` or `name[*]`.
#[derive(Debug, Clone)]
pub struct Reference {
    pub name: Ident,
    pub selector: Option<Selector>,
}

#[derive(Debug, Clone)]
pub enum Selector {
    /// `[*]`: the whole family.
    All(Span),
    /// `[coord = value, coord = *]`.
    Coords(Vec<(Ident, Option<Value>)>, Span),
}

impl Selector {
    pub fn span(&self) -> Span {
        match self {
            Selector::All(s) | Selector::Coords(_, s) => *s,
        }
    }
}

impl ValueKind {
    /// A short description of the kind of value, for type errors.
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::Number { integer: Some(_), .. } => "an integer",
            ValueKind::Number { .. } => "a number",
            ValueKind::Quantity { .. } => "a quantity with a unit",
            ValueKind::Str(_) => "a string",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::List(_) => "a list",
            ValueKind::Block(_) => "a block",
            ValueKind::Sweep(_) => "a sweep",
            ValueKind::Reference(_) => "a name",
        }
    }
}
