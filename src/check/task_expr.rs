//! Checking a written-out task's expressions: names, functions, widths, whether they vary in
//! time, and their units as far as they can be told.

use super::names::did_you_mean;
use super::task_body::{Checker, RESERVED};
use crate::ast::{self, ExprKind};
use crate::source::Span;
use crate::trialspec::{BinOp, Expr, Func, UnOp};
use crate::units::{Dimension, UnitMeaning, unit_meaning};

/// What an expression is, besides its value.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    pub(super) width: usize,
    /// Varies within an epoch (time, signals, noise, ramps, holds).
    pub(super) timed: bool,
    pub(super) dim: Dim,
}

/// A quantity's dimension as far as it can be told: `None` for a plain number, `Any` when unknown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Dim {
    None,
    Of(Dimension),
    Any,
}

/// Where an expression appears, which decides what it may use.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Context {
    /// A variable, a `require`, a duration or a distribution's argument: one number per trial.
    Trial,
    /// A channel: may vary in time and be several columns wide.
    Channel,
}

impl Checker<'_> {
    pub(super) fn trial_expr(&mut self, expr: &ast::Expr, what: &str) -> Option<(Expr, Dim)> {
        let (e, shape) = self.expr(expr, Context::Trial)?;
        if shape.width != 1 {
            self.error(
                expr.span,
                format!("{what} is one number"),
                format!("{} columns wide", shape.width),
                None,
            );
            return None;
        }
        Some((e, shape.dim))
    }

    /// Binds a call's arguments to parameter names: positional first, then by name.
    pub(super) fn bind_args<'e>(
        &mut self,
        name: &ast::Ident,
        args: &'e [ast::FnArg],
        params: &[&str],
    ) -> Option<Vec<Option<&'e ast::Expr>>> {
        let mut bound: Vec<Option<&ast::Expr>> = vec![None; params.len()];
        let mut ok = true;
        for (i, arg) in args.iter().enumerate() {
            let slot = match &arg.name {
                None if i < params.len() => Some(i),
                None => {
                    self.error(
                        arg.value.span,
                        format!("`{}` takes {} arguments", name.name, params.len()),
                        "one too many",
                        Some(format!("`{}({})`", name.name, params.join(", "))),
                    );
                    ok = false;
                    None
                }
                Some(n) => match params.iter().position(|p| *p == n.name) {
                    Some(k) => Some(k),
                    None => {
                        let help = did_you_mean(&n.name, params.iter().copied())
                            .or_else(|| Some(format!("`{}({})`", name.name, params.join(", "))));
                        self.error(
                            n.span,
                            format!("`{}` has no argument `{}`", name.name, n.name),
                            "unknown argument",
                            help,
                        );
                        ok = false;
                        None
                    }
                },
            };
            if let Some(k) = slot {
                if bound[k].is_some() {
                    self.error(
                        arg.value.span,
                        format!("`{}` is given twice", params[k]),
                        "given again",
                        None,
                    );
                    ok = false;
                }
                bound[k] = Some(&arg.value);
            }
        }
        ok.then_some(bound)
    }

    pub(super) fn required<'e>(
        &mut self,
        bound: &[Option<&'e ast::Expr>],
        i: usize,
        params: &[&str],
        span: Span,
    ) -> Option<&'e ast::Expr> {
        if bound[i].is_none() {
            self.error(
                span,
                format!("argument `{}` is missing", params[i]),
                "incomplete call",
                Some(format!("({})", params.join(", "))),
            );
        }
        bound[i]
    }

    /// A whole number written as a literal, for widths and counts.
    pub(super) fn static_int(&mut self, expr: &ast::Expr, what: &str) -> Option<i64> {
        let value = match &expr.kind {
            ExprKind::Number(x) => Some(*x),
            ExprKind::Unary(UnOp::Neg, inner) => match inner.kind {
                ExprKind::Number(x) => Some(-x),
                _ => None,
            },
            _ => None,
        };
        match value {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e9 => Some(x as i64),
            _ => {
                self.error(
                    expr.span,
                    format!("{what} must be a whole number written out"),
                    "not a literal integer",
                    Some("widths and counts are fixed when the file is checked".into()),
                );
                None
            }
        }
    }

    pub(super) fn static_count(&mut self, expr: &ast::Expr, what: &str) -> Option<usize> {
        let n = self.static_int(expr, what)?;
        if !(1..=4096).contains(&n) {
            self.error(
                expr.span,
                format!("{what} must be between 1 and 4096"),
                format!("{n}"),
                None,
            );
            return None;
        }
        Some(n as usize)
    }

    pub(super) fn expr(&mut self, expr: &ast::Expr, ctx: Context) -> Option<(Expr, Shape)> {
        let plain = |e: Expr, dim: Dim| {
            Some((
                e,
                Shape {
                    width: 1,
                    timed: false,
                    dim,
                },
            ))
        };
        let timed = |e: Expr| {
            Some((
                e,
                Shape {
                    width: 1,
                    timed: true,
                    dim: Dim::Of(Dimension::Time),
                },
            ))
        };
        match &expr.kind {
            ExprKind::Number(x) => plain(Expr::Const(*x), Dim::None),
            ExprKind::Bool(b) => plain(Expr::Const(if *b { 1.0 } else { 0.0 }), Dim::None),
            ExprKind::Quantity { value, unit } => match unit_meaning(unit) {
                Some(UnitMeaning::Of(Dimension::Steps, _)) => plain(Expr::Steps(*value), Dim::Of(Dimension::Time)),
                Some(UnitMeaning::Of(dim, factor)) => plain(Expr::Const(value * factor), Dim::Of(dim)),
                Some(UnitMeaning::Percent) => plain(Expr::Const(value / 100.0), Dim::None),
                None => {
                    self.error(expr.span, format!("unknown unit `{unit}`"), "unknown unit", None);
                    None
                }
            },
            ExprKind::Name(name) => self.name(name, expr.span, ctx, timed, plain),
            ExprKind::Unary(op, inner) => {
                let (e, shape) = self.expr(inner, ctx)?;
                let op = *op;
                let dim = if op == UnOp::Not { Dim::None } else { shape.dim };
                Some((Expr::Unary(op, Box::new(e)), Shape { dim, ..shape }))
            }
            ExprKind::Binary(op, a, b) => {
                let (ea, sa) = self.expr(a, ctx)?;
                let (eb, sb) = self.expr(b, ctx)?;
                let width = self.broadcast(&[sa.width, sb.width], expr.span)?;
                let op = *op;
                let dim = match op {
                    BinOp::Add | BinOp::Sub => {
                        if let (Dim::Of(x), Dim::Of(y)) = (sa.dim, sb.dim)
                            && x != y
                        {
                            self.error(expr.span, format!("cannot add {x} and {y}"), "mixed units", None);
                            return None;
                        }
                        join(sa.dim, sb.dim)
                    }
                    BinOp::Mul | BinOp::Div => match (sa.dim, sb.dim) {
                        (Dim::None, d) if op == BinOp::Mul => d,
                        (d, Dim::None) => d,
                        _ => Dim::Any,
                    },
                    BinOp::Pow => Dim::Any,
                    _ => Dim::None,
                };
                Some((
                    Expr::Binary(op, Box::new(ea), Box::new(eb)),
                    Shape {
                        width,
                        timed: sa.timed || sb.timed,
                        dim,
                    },
                ))
            }
            ExprKind::Vector(items) => {
                let mut exprs = Vec::new();
                let mut width = 0;
                let mut any_timed = false;
                for item in items {
                    let (e, s) = self.expr(item, ctx)?;
                    width += s.width;
                    any_timed |= s.timed;
                    exprs.push(e);
                }
                if ctx == Context::Trial && width != 1 {
                    self.error(
                        expr.span,
                        "a list of values makes channels, not a trial variable",
                        "several columns",
                        None,
                    );
                    return None;
                }
                Some((
                    Expr::Vector(exprs),
                    Shape {
                        width,
                        timed: any_timed,
                        dim: Dim::Any,
                    },
                ))
            }
            ExprKind::Call { name, args } => self.call(name, args, expr.span, ctx),
        }
    }

    fn name(
        &mut self,
        name: &str,
        span: Span,
        ctx: Context,
        timed: impl Fn(Expr) -> Option<(Expr, Shape)>,
        plain: impl Fn(Expr, Dim) -> Option<(Expr, Shape)>,
    ) -> Option<(Expr, Shape)> {
        match name {
            "pi" => return plain(Expr::Const(std::f64::consts::PI), Dim::Any),
            "dt" => return plain(Expr::Steps(1.0), Dim::Of(Dimension::Time)),
            "t" | "duration" if ctx == Context::Channel => {
                return if name == "t" {
                    timed(Expr::Time)
                } else {
                    plain(Expr::Duration, Dim::Of(Dimension::Time))
                };
            }
            "t" | "duration" => {
                self.error(
                    span,
                    format!("`{name}` belongs to an epoch"),
                    "only in channels",
                    Some("time within an epoch can only appear in `input` and `target` expressions".into()),
                );
                return None;
            }
            _ => {}
        }
        if let Some(&(i, dim)) = self.vars.get(name) {
            return plain(Expr::Var(i), dim);
        }
        if let Some(&(i, width)) = self.signals.get(name) {
            if ctx == Context::Trial {
                self.error(
                    span,
                    format!("signal `{name}` varies in time"),
                    "only in channels",
                    Some("signals can only appear in `input` and `target` expressions".into()),
                );
                return None;
            }
            return Some((
                Expr::Signal(i),
                Shape {
                    width,
                    timed: true,
                    dim: Dim::None,
                },
            ));
        }
        let known: Vec<&str> = self
            .vars
            .keys()
            .chain(self.signals.keys())
            .map(String::as_str)
            .chain(RESERVED.iter().copied())
            .collect();
        let help = did_you_mean(name, known.iter().copied()).or_else(|| {
            Some(if ctx == Context::Trial {
                "a variable must be declared (`var NAME ~ ...`) before the variables that use it".into()
            } else {
                "declare it with `var NAME ~ ...` or `signal NAME ~ ...`".into()
            })
        });
        self.error(
            span,
            format!("unknown name `{name}`"),
            "not a variable of this task",
            help,
        );
        None
    }

    fn call(&mut self, name: &ast::Ident, args: &[ast::FnArg], span: Span, ctx: Context) -> Option<(Expr, Shape)> {
        let f = name.name.as_str();
        let params: &[&str] = match f {
            "abs" | "sign" | "sqrt" | "exp" | "log" | "sin" | "cos" | "tanh" | "step" | "wrap" => &["x"],
            "hold" => &["x", "initial"],
            "min" | "max" | "circ_dist" => &["a", "b"],
            "clip" => &["x", "low", "high"],
            "if" => &["condition", "then", "else"],
            "ramp" => &["from", "to"],
            "noise" => &["sd", "n"],
            "vonmises" => &["angle", "n", "kappa"],
            "onehot" => &["index", "n"],
            "choice" | "uniform" | "normal" | "bernoulli" | "angle" | "int" | "pulses" => {
                self.error(
                    span,
                    format!("`{f}` draws at random; it belongs after `~`"),
                    "a distribution here",
                    Some(format!(
                        "declare `var x ~ {f}(...)` (or `signal s ~ pulses(...)`) and use `x` here"
                    )),
                );
                return None;
            }
            _ => {
                let help = did_you_mean(f, FUNCTIONS.iter().copied())
                    .or_else(|| Some(format!("functions: {}", FUNCTIONS.join(", "))));
                self.error(name.span, format!("unknown function `{f}`"), "not a function", help);
                return None;
            }
        };
        let bound = self.bind_args(name, args, params)?;
        let in_time = matches!(f, "ramp" | "noise" | "hold");
        if in_time && ctx == Context::Trial {
            self.error(
                span,
                format!("`{f}` varies in time"),
                "only in channels",
                Some(format!("`{f}` can only appear in `input` and `target` expressions")),
            );
            return None;
        }
        // Counts fixed at check time.
        let count = |c: &mut Self, i: usize, default: Option<usize>| -> Option<usize> {
            match bound[i] {
                Some(e) => c.static_count(e, &format!("{f}'s `{}`", params[i])),
                None => {
                    if default.is_none() {
                        c.error(
                            span,
                            format!("argument `{}` is missing", params[i]),
                            "incomplete call",
                            Some(format!("{f}({})", params.join(", "))),
                        );
                    }
                    default
                }
            }
        };
        let (func, dynamic): (Func, Vec<usize>) = match f {
            "noise" => (
                Func::Noise {
                    width: count(self, 1, Some(1))?,
                },
                vec![0],
            ),
            "vonmises" => (
                Func::VonMises {
                    n: count(self, 1, None)?,
                },
                vec![0, 2],
            ),
            "onehot" => (
                Func::OneHot {
                    n: count(self, 1, None)?,
                },
                vec![0],
            ),
            _ => (simple(f)?, (0..params.len()).collect()),
        };
        let mut exprs = Vec::new();
        let mut shapes = Vec::new();
        for &i in &dynamic {
            let arg = match (bound[i], f, i) {
                (Some(e), _, _) => self.expr(e, ctx)?,
                (None, "vonmises", 2) => (
                    Expr::Const(2.0),
                    Shape {
                        width: 1,
                        timed: false,
                        dim: Dim::None,
                    },
                ),
                (None, "hold", 1) => (
                    Expr::Const(0.0),
                    Shape {
                        width: 1,
                        timed: false,
                        dim: Dim::None,
                    },
                ),
                (None, _, _) => {
                    self.error(
                        span,
                        format!("argument `{}` is missing", params[i]),
                        "incomplete call",
                        Some(format!("{f}({})", params.join(", "))),
                    );
                    return None;
                }
            };
            exprs.push(arg.0);
            shapes.push(arg.1);
        }
        let widths: Vec<usize> = shapes.iter().map(|s| s.width).collect();
        let any_timed = shapes.iter().any(|s| s.timed) || in_time;
        let width = match func {
            Func::Noise { width } => {
                if widths[0] != 1 {
                    self.error(span, "noise's `sd` is one number", "several columns", None);
                    return None;
                }
                width
            }
            Func::VonMises { n } | Func::OneHot { n } => {
                if widths.iter().any(|&w| w != 1) {
                    self.error(span, format!("`{f}` codes one number"), "several columns", None);
                    return None;
                }
                n
            }
            _ => self.broadcast(&widths, span)?,
        };
        let dim = match f {
            "wrap" | "circ_dist" => Dim::Of(Dimension::Angle),
            "abs" | "hold" => shapes[0].dim,
            "min" | "max" => join(shapes[0].dim, shapes[1].dim),
            "clip" => shapes[0].dim,
            "if" => join(shapes[1].dim, shapes[2].dim),
            "ramp" => join(shapes[0].dim, shapes[1].dim),
            _ => Dim::None,
        };
        if ctx == Context::Trial && width != 1 {
            self.error(span, format!("`{f}` makes {width} columns"), "not one number", None);
            return None;
        }
        Some((
            Expr::Call(func, exprs),
            Shape {
                width,
                timed: any_timed,
                dim,
            },
        ))
    }

    /// The width of an elementwise combination: all equal, or 1 (which broadcasts).
    pub(super) fn broadcast(&mut self, widths: &[usize], span: Span) -> Option<usize> {
        let wide: Vec<usize> = widths.iter().copied().filter(|&w| w != 1).collect();
        match wide.first() {
            None => Some(1),
            Some(&w) if wide.iter().all(|&x| x == w) => Some(w),
            Some(_) => {
                let list: Vec<String> = widths.iter().map(|w| w.to_string()).collect();
                self.error(
                    span,
                    format!("cannot combine values {} columns wide", list.join(" and ")),
                    "widths differ",
                    Some("operands must have the same width, or width 1".into()),
                );
                None
            }
        }
    }
}

/// Every function name, for help messages.
const FUNCTIONS: &[&str] = &[
    "abs",
    "sign",
    "sqrt",
    "exp",
    "log",
    "sin",
    "cos",
    "tanh",
    "min",
    "max",
    "clip",
    "if",
    "step",
    "wrap",
    "circ_dist",
    "ramp",
    "noise",
    "vonmises",
    "onehot",
    "hold",
];

fn simple(name: &str) -> Option<Func> {
    Some(match name {
        "abs" => Func::Abs,
        "sign" => Func::Sign,
        "sqrt" => Func::Sqrt,
        "exp" => Func::Exp,
        "log" => Func::Log,
        "sin" => Func::Sin,
        "cos" => Func::Cos,
        "tanh" => Func::Tanh,
        "min" => Func::Min,
        "max" => Func::Max,
        "clip" => Func::Clip,
        "if" => Func::If,
        "step" => Func::Step,
        "wrap" => Func::Wrap,
        "circ_dist" => Func::CircDist,
        "ramp" => Func::Ramp,
        "hold" => Func::Hold,
        _ => return None,
    })
}

/// The dimension of a sum: the known one, or `Any` where they disagree.
pub(super) fn join(a: Dim, b: Dim) -> Dim {
    match (a, b) {
        (Dim::None, d) | (d, Dim::None) => d,
        (x, y) if x == y => x,
        _ => Dim::Any,
    }
}
