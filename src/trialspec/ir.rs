//! The checked form of a task written in the language. Every name is resolved to an index and
//! every channel's width is known; quantities are in SI units (seconds, radians, hertz).

use serde::{Deserialize, Serialize};

/// A whole task: how one trial is drawn and rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialSpec {
    /// Trial variables, in declaration order; each may use those before it.
    pub vars: Vec<Var>,
    /// Conditions on the variables; a trial that breaks one is drawn again.
    pub requires: Vec<Expr>,
    pub signals: Vec<Signal>,
    pub epochs: Vec<Epoch>,
    pub inputs: Vec<Channel>,
    pub targets: Vec<Channel>,
    /// Per epoch: whether the loss counts its steps.
    pub mask: Vec<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Var {
    pub name: String,
    pub def: VarDef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum VarDef {
    /// `var x ~ DIST`.
    Draw(Dist),
    /// `var x = EXPR`.
    Let(Expr),
}

/// A distribution of one trial variable. Arguments are scalar expressions of earlier variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Dist {
    /// One of the listed values, each equally likely.
    Choice(Vec<Expr>),
    /// Uniform on `[low, high)`.
    Uniform(Expr, Expr),
    Normal(Expr, Expr),
    /// 1 with probability p, else 0.
    Bernoulli(Expr),
    /// Uniform on the circle `[0, 2pi)`, or one of `n` evenly spaced angles `2pi k / n`.
    Angle(Option<usize>),
    /// An integer in `[low, high]`, each equally likely.
    Int(i64, i64),
}

impl Dist {
    /// How many values a discrete distribution takes (these index trial conditions); `None` if continuous.
    pub fn levels(&self) -> Option<usize> {
        match self {
            Dist::Choice(values) => Some(values.len()),
            Dist::Bernoulli(_) => Some(2),
            Dist::Angle(Some(n)) => Some(*n),
            Dist::Int(low, high) => Some((high - low + 1) as usize),
            _ => None,
        }
    }
}

/// A random process over a trial's steps, referred to by channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub name: String,
    /// `pulses(rate, n)`: at each step each of `n` elements is +1 or -1 (equally likely) with
    /// probability `rate * dt`, else 0.
    pub rate: Expr,
    pub width: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Epoch {
    pub name: String,
    /// Seconds; a scalar expression of the trial variables.
    pub duration: Expr,
}

/// An input or target channel (possibly several columns wide).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub name: String,
    pub width: usize,
    /// What the channel is in which epochs; 0 in epochs no part names.
    pub parts: Vec<ChannelPart>,
}

impl Channel {
    /// Column names: `name` for one column, `name_0`, `name_1`, ... for several.
    pub fn column_names(&self) -> Vec<String> {
        if self.width == 1 {
            vec![self.name.clone()]
        } else {
            (0..self.width).map(|i| format!("{}_{i}", self.name)).collect()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelPart {
    /// Indices into `TrialSpec::epochs`.
    pub epochs: Vec<usize>,
    pub expr: Expr,
}

/// An expression. Values are arrays over (steps, width); anything without time has one row, and
/// anything of width 1 broadcasts over a wider operand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    Const(f64),
    /// A duration written in steps: `n * dt`.
    Steps(f64),
    Var(usize),
    Signal(usize),
    /// Seconds since the start of the current epoch.
    Time,
    /// The current epoch's duration in seconds.
    Duration,
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    /// Operands side by side.
    Vector(Vec<Expr>),
}

/// Operators, shared with the syntax tree (`ast::UnaryOp`, `ast::BinaryOp`): the checker keeps them as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

/// The functions an expression may call. Widths that a function creates are fixed numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Func {
    Abs,
    Sign,
    Sqrt,
    Exp,
    Log,
    Sin,
    Cos,
    Tanh,
    Min,
    Max,
    /// `clip(x, low, high)`.
    Clip,
    /// `if(condition, then, else)`.
    If,
    /// 1 where the argument is at least 0, else 0.
    Step,
    /// An angle wrapped into `[-pi, pi)`.
    Wrap,
    /// The absolute circular distance between two angles, in `[0, pi]`.
    CircDist,
    /// `ramp(from, to)`: linear in time from `from` at the epoch's start to `to` at its end.
    Ramp,
    /// Fresh Gaussian noise of the given s.d. at every step, `width` columns.
    Noise {
        width: usize,
    },
    /// `vonmises(angle, n, kappa)`: `n` tuning curves with preferred angles `2pi k / n`, each
    /// `exp(kappa (cos(angle - preferred) - 1))`.
    VonMises {
        n: usize,
    },
    /// `onehot(k, n)`: 1 in column `k` (rounded), 0 elsewhere.
    OneHot {
        n: usize,
    },
    /// `hold(x, initial)`: the most recent non-zero value of `x` since the part of the channel
    /// that holds it began, `initial` (default 0) before the first.
    Hold,
}

impl BinOp {
    /// The operator written as `symbol` in a `.rnx` expression.
    pub fn from_symbol(symbol: &str) -> Option<BinOp> {
        Some(match symbol {
            "||" => BinOp::Or,
            "&&" => BinOp::And,
            "==" => BinOp::Eq,
            "!=" => BinOp::Ne,
            "<" => BinOp::Lt,
            "<=" => BinOp::Le,
            ">" => BinOp::Gt,
            ">=" => BinOp::Ge,
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            "/" => BinOp::Div,
            "^" => BinOp::Pow,
            _ => return None,
        })
    }
}
