//! Checking a task written in the language: names, distributions, epochs, channel widths and
//! units, into a `trialspec::TrialSpec`. Every error points at the statement or expression.

use super::CheckError;
use super::names::did_you_mean;
use crate::ast::{self, BinaryOp, ChannelKind, ExprKind, TaskBody, TaskStmtKind, UnaryOp};
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::trialspec::{BinOp, Channel, ChannelPart, Dist, Epoch, Expr, Func, Signal, TrialSpec, UnOp, Var, VarDef};
use crate::units::{Dimension, UnitMeaning, unit_meaning};
use std::collections::HashMap;

/// Names with a fixed meaning inside a task body.
const RESERVED: &[&str] = &["t", "duration", "dt", "pi"];

/// What an expression is, besides its value.
#[derive(Debug, Clone, Copy)]
struct Shape {
    width: usize,
    /// Varies within an epoch (time, signals, noise, ramps, holds).
    timed: bool,
    dim: Dim,
}

/// A quantity's dimension as far as it can be told: `None` for a plain number, `Any` when unknown.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Dim {
    None,
    Of(Dimension),
    Any,
}

/// Where an expression appears, which decides what it may use.
#[derive(Clone, Copy, PartialEq)]
enum Context {
    /// A variable, a `require`, a duration or a distribution's argument: one number per trial.
    Trial,
    /// A channel: may vary in time and be several columns wide.
    Channel,
}

struct Checker<'a> {
    source: crate::source::SourceId,
    errors: &'a mut Vec<Diagnostic>,
    vars: HashMap<String, (usize, Dim)>,
    var_list: Vec<Var>,
    signals: HashMap<String, (usize, usize)>,
    signal_list: Vec<Signal>,
}

/// Checks a task body. `None` when it has errors (pushed onto `errors`).
pub fn check_task_body(body: &TaskBody, errors: &mut Vec<Diagnostic>) -> Option<TrialSpec> {
    let before = errors.len();
    let mut c = Checker {
        source: body.span.source,
        errors,
        vars: HashMap::new(),
        var_list: Vec::new(),
        signals: HashMap::new(),
        signal_list: Vec::new(),
    };
    let mut requires = Vec::new();
    let mut epochs: Vec<(ast::Ident, ast::Expr)> = Vec::new();
    let mut channels: Vec<&ast::TaskStmt> = Vec::new();
    let mut mask: Option<&[ast::Ident]> = None;

    for stmt in &body.stmts {
        match &stmt.kind {
            TaskStmtKind::Var { name, draw, expr } => {
                if !c.fresh_name(name) {
                    continue;
                }
                let def = if *draw {
                    c.distribution(expr).map(|(d, dim)| (VarDef::Draw(d), dim))
                } else {
                    c.trial_expr(expr, "a derived variable")
                        .map(|(e, dim)| (VarDef::Let(e), dim))
                };
                if let Some((def, dim)) = def {
                    c.vars.insert(name.name.clone(), (c.var_list.len(), dim));
                    c.var_list.push(Var {
                        name: name.name.clone(),
                        def,
                    });
                }
            }
            TaskStmtKind::Signal { name, expr } => {
                if !c.fresh_name(name) {
                    continue;
                }
                if let Some((rate, width)) = c.process(expr) {
                    c.signals.insert(name.name.clone(), (c.signal_list.len(), width));
                    c.signal_list.push(Signal {
                        name: name.name.clone(),
                        rate,
                        width,
                    });
                }
            }
            TaskStmtKind::Require(_) | TaskStmtKind::Epoch { .. } | TaskStmtKind::Channel { .. } => {}
            TaskStmtKind::Mask(names) => {
                if mask.is_some() {
                    c.error(
                        stmt.span,
                        "`mask` is given twice",
                        "given again here",
                        Some("list every epoch the loss counts in one `mask` statement".into()),
                    );
                }
                mask = Some(names);
            }
        }
    }
    // Requires, epochs and channels may use every variable, wherever it is declared.
    for stmt in &body.stmts {
        match &stmt.kind {
            TaskStmtKind::Require(expr) => {
                if let Some((e, _)) = c.trial_expr(expr, "a `require` condition") {
                    requires.push(e);
                }
            }
            TaskStmtKind::Epoch { name, duration } => {
                if epochs.iter().any(|(e, _)| e.name == name.name) {
                    c.error(
                        name.span,
                        format!("epoch `{}` is declared twice", name.name),
                        "declared again here",
                        None,
                    );
                    continue;
                }
                epochs.push((name.clone(), duration.clone()));
            }
            TaskStmtKind::Channel { .. } => channels.push(stmt),
            _ => {}
        }
    }
    if epochs.is_empty() {
        c.error(
            body.span,
            "this task has no epochs",
            "no `epoch` statement",
            Some("add at least one, e.g. `epoch trial = 1 s`".into()),
        );
    }
    let epoch_names: Vec<&str> = epochs.iter().map(|(n, _)| n.name.as_str()).collect();
    let mut checked_epochs = Vec::new();
    for (name, duration) in &epochs {
        if let Some(e) = c.duration(duration) {
            checked_epochs.push(Epoch {
                name: name.name.clone(),
                duration: e,
            });
        }
    }
    let inputs = c.channels(&channels, ChannelKind::Input, &epoch_names);
    let targets = c.channels(&channels, ChannelKind::Target, &epoch_names);
    let has = |kind: ChannelKind| {
        channels
            .iter()
            .any(|s| matches!(&s.kind, TaskStmtKind::Channel { kind: k, .. } if *k == kind))
    };
    if !has(ChannelKind::Input) && !channels.is_empty() {
        c.error(
            body.span,
            "this task has no input channels",
            "no `input` statement",
            Some("add one, e.g. `input go = 1 during response`".into()),
        );
    }
    if !has(ChannelKind::Target) && !channels.is_empty() {
        c.error(
            body.span,
            "this task has no target channels",
            "no `target` statement",
            Some("add one, e.g. `target out = 1 during response`".into()),
        );
    }
    if channels.is_empty() {
        c.error(
            body.span,
            "this task has no channels",
            "no `input` or `target` statement",
            Some("add `input NAME = EXPR during EPOCH` and `target NAME = EXPR during EPOCH`".into()),
        );
    }
    let mask = match mask {
        None => vec![true; epochs.len()],
        Some(names) => {
            let mut counted = vec![false; epochs.len()];
            for name in names {
                if let Some(i) = c.epoch_index(name, &epoch_names) {
                    counted[i] = true;
                }
            }
            counted
        }
    };
    if c.errors.len() > before {
        return None;
    }
    Some(TrialSpec {
        vars: c.var_list,
        requires,
        signals: c.signal_list,
        epochs: checked_epochs,
        inputs,
        targets,
        mask,
    })
}

impl Checker<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>, label: impl Into<String>, help: Option<String>) {
        self.errors.push(Diagnostic::check(
            self.source,
            CheckError::Task {
                message: message.into(),
                at: span.miette(),
                label: label.into(),
                help,
            },
        ));
    }

    /// Whether a new variable or signal name is free; reports it if not.
    fn fresh_name(&mut self, name: &ast::Ident) -> bool {
        if RESERVED.contains(&name.name.as_str()) {
            self.error(
                name.span,
                format!("`{}` has a fixed meaning in a task", name.name),
                "reserved name",
                Some("`t` is the time in the epoch, `duration` the epoch's length, `dt` the step, `pi` 3.14159...; pick another name".into()),
            );
            return false;
        }
        if self.vars.contains_key(&name.name) || self.signals.contains_key(&name.name) {
            self.error(
                name.span,
                format!("`{}` is declared twice", name.name),
                "declared again here",
                None,
            );
            return false;
        }
        true
    }

    fn epoch_index(&mut self, name: &ast::Ident, epochs: &[&str]) -> Option<usize> {
        let found = epochs.iter().position(|e| *e == name.name);
        if found.is_none() {
            let help = did_you_mean(&name.name, epochs.iter().copied())
                .or_else(|| Some(format!("the task's epochs: {}", epochs.join(", "))));
            self.error(
                name.span,
                format!("the task has no epoch `{}`", name.name),
                "unknown epoch",
                help,
            );
        }
        found
    }

    /// `var x ~ DIST`.
    fn distribution(&mut self, expr: &ast::Expr) -> Option<(Dist, Dim)> {
        let ExprKind::Call { name, args } = &expr.kind else {
            self.error(
                expr.span,
                "`~` draws from a distribution",
                "not a distribution",
                Some("use choice(..), uniform(low, high), normal(mean, sd), bernoulli(p), angle() or angle(n), int(low, high); or `=` for a value computed from other variables".into()),
            );
            return None;
        };
        let f = name.name.as_str();
        let params: &[&str] = match f {
            "choice" => &[],
            "uniform" => &["low", "high"],
            "normal" => &["mean", "sd"],
            "bernoulli" => &["p"],
            "angle" => &["n"],
            "int" => &["low", "high"],
            _ => {
                let known = ["choice", "uniform", "normal", "bernoulli", "angle", "int"];
                let help = did_you_mean(f, known.iter().copied())
                    .or_else(|| Some(format!("distributions: {}", known.join(", "))));
                self.error(
                    name.span,
                    format!("unknown distribution `{f}`"),
                    "not a distribution",
                    help,
                );
                return None;
            }
        };
        if f == "choice" {
            if args.is_empty() || args.iter().any(|a| a.name.is_some()) {
                self.error(
                    expr.span,
                    "`choice` takes its values as positional arguments",
                    "e.g. choice(-0.2, 0, 0.2)",
                    None,
                );
                return None;
            }
            let mut values = Vec::new();
            let mut dim = None;
            for a in args {
                let (e, d) = self.trial_expr(&a.value, "a choice")?;
                dim = Some(dim.map_or(d, |x| join(x, d)));
                values.push(e);
            }
            return Some((Dist::Choice(values), dim.unwrap_or(Dim::None)));
        }
        let bound = self.bind_args(name, args, params, expr.span)?;
        match f {
            "angle" => match bound[0] {
                None => Some((Dist::Angle(None), Dim::Of(Dimension::Angle))),
                Some(e) => Some((
                    Dist::Angle(Some(self.static_count(e, "angle's `n`")?)),
                    Dim::Of(Dimension::Angle),
                )),
            },
            "int" => {
                let low = self.required(&bound, 0, params, expr.span)?;
                let low = self.static_int(low, "int's `low`")?;
                let high = self.required(&bound, 1, params, expr.span)?;
                let high = self.static_int(high, "int's `high`")?;
                if high < low {
                    self.error(
                        expr.span,
                        format!("int({low}, {high}) is empty"),
                        "`high` is below `low`",
                        None,
                    );
                    return None;
                }
                Some((Dist::Int(low, high), Dim::None))
            }
            _ => {
                let mut exprs = Vec::new();
                let mut dims = Vec::new();
                for i in 0..params.len() {
                    let arg = self.required(&bound, i, params, expr.span)?;
                    let (e, d) = self.trial_expr(arg, "a distribution's argument")?;
                    exprs.push(e);
                    dims.push(d);
                }
                let mut it = exprs.into_iter();
                let (a, b) = (it.next(), it.next());
                Some(match (f, a, b) {
                    ("uniform", Some(low), Some(high)) => (Dist::Uniform(low, high), join(dims[0], dims[1])),
                    ("normal", Some(mean), Some(sd)) => (Dist::Normal(mean, sd), dims[0]),
                    ("bernoulli", Some(p), _) => (Dist::Bernoulli(p), Dim::None),
                    _ => return None,
                })
            }
        }
    }

    /// `signal s ~ pulses(rate, n)`.
    fn process(&mut self, expr: &ast::Expr) -> Option<(Expr, usize)> {
        match &expr.kind {
            ExprKind::Call { name, args } if name.name == "pulses" => {
                let bound = self.bind_args(name, args, &["rate", "n"], expr.span)?;
                let rate = self.required(&bound, 0, &["rate", "n"], expr.span)?;
                let (rate, dim) = self.trial_expr(rate, "a pulse rate")?;
                if let Dim::Of(d) = dim
                    && d != Dimension::Frequency
                {
                    self.error(
                        args[0].value.span,
                        "a pulse rate is a frequency",
                        "not a frequency",
                        Some("write it in Hz, e.g. `pulses(2 Hz, 3)`".into()),
                    );
                    return None;
                }
                let width = match bound[1] {
                    Some(e) => self.static_count(e, "pulses' `n`")?,
                    None => 1,
                };
                Some((rate, width))
            }
            _ => {
                self.error(
                    expr.span,
                    "a signal is a random process",
                    "not a process",
                    Some("signals: pulses(rate, n): random +1/-1 pulses at `rate` on each of `n` columns".into()),
                );
                None
            }
        }
    }

    fn duration(&mut self, expr: &ast::Expr) -> Option<Expr> {
        let (e, dim) = self.trial_expr(expr, "an epoch's duration")?;
        match dim {
            Dim::Of(Dimension::Time) | Dim::Of(Dimension::Steps) | Dim::Any => {}
            _ => {
                self.error(
                    expr.span,
                    "an epoch's duration is a time",
                    "not a time",
                    Some(
                        "write it with a unit: `200 ms`, `0.5 s`, `10 steps`, or a variable drawn in time units".into(),
                    ),
                );
                return None;
            }
        }
        if let Expr::Const(x) | Expr::Steps(x) = e
            && x <= 0.0
        {
            self.error(
                expr.span,
                "an epoch must last longer than zero",
                "zero or negative",
                None,
            );
            return None;
        }
        Some(e)
    }

    /// Every `input` (or `target`) statement, merged by name.
    fn channels(&mut self, stmts: &[&ast::TaskStmt], wanted: ChannelKind, epochs: &[&str]) -> Vec<Channel> {
        let mut out: Vec<Channel> = Vec::new();
        let mut covered: Vec<Vec<bool>> = Vec::new();
        for stmt in stmts {
            let TaskStmtKind::Channel {
                kind,
                name,
                width,
                expr,
                during,
            } = &stmt.kind
            else {
                continue;
            };
            if *kind != wanted {
                continue;
            }
            let Some((e, shape)) = self.expr(expr, Context::Channel) else {
                continue;
            };
            let channel_width = match width {
                Some((w, span)) => {
                    if *w == 0 {
                        self.error(*span, "a channel is at least one column wide", "zero width", None);
                        continue;
                    }
                    if shape.width != 1 && shape.width != *w {
                        self.error(
                            expr.span,
                            format!("`{}` is declared {w} wide, but this is {} wide", name.name, shape.width),
                            format!("{} columns", shape.width),
                            None,
                        );
                        continue;
                    }
                    *w
                }
                None => shape.width,
            };
            let mut indices = Vec::new();
            if during.is_empty() {
                indices = (0..epochs.len()).collect();
            }
            for epoch in during {
                if let Some(i) = self.epoch_index(epoch, epochs) {
                    indices.push(i);
                }
            }
            let position = out.iter().position(|c| c.name == name.name);
            let k = match position {
                Some(k) => {
                    if out[k].width != channel_width {
                        self.error(
                            name.span,
                            format!("`{}` was {} wide before, {channel_width} here", name.name, out[k].width),
                            "a different width",
                            None,
                        );
                        continue;
                    }
                    k
                }
                None => {
                    out.push(Channel {
                        name: name.name.clone(),
                        width: channel_width,
                        parts: Vec::new(),
                    });
                    covered.push(vec![false; epochs.len()]);
                    out.len() - 1
                }
            };
            let mut clash = false;
            for &i in &indices {
                if covered[k][i] {
                    let at = during
                        .iter()
                        .find(|d| d.name == epochs[i])
                        .map_or(name.span, |d| d.span);
                    self.error(
                        at,
                        format!("`{}` is given twice during epoch `{}`", name.name, epochs[i]),
                        "already given for this epoch",
                        Some("give each epoch of a channel one expression".into()),
                    );
                    clash = true;
                }
                covered[k][i] = true;
            }
            if !clash {
                out[k].parts.push(ChannelPart {
                    epochs: indices,
                    expr: e,
                });
            }
        }
        out
    }

    fn trial_expr(&mut self, expr: &ast::Expr, what: &str) -> Option<(Expr, Dim)> {
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
    fn bind_args<'e>(
        &mut self,
        name: &ast::Ident,
        args: &'e [ast::FnArg],
        params: &[&str],
        span: Span,
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
        let _ = span;
        ok.then_some(bound)
    }

    fn required<'e>(
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
    fn static_int(&mut self, expr: &ast::Expr, what: &str) -> Option<i64> {
        let value = match &expr.kind {
            ExprKind::Number(x) => Some(*x),
            ExprKind::Unary(UnaryOp::Neg, inner) => match inner.kind {
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

    fn static_count(&mut self, expr: &ast::Expr, what: &str) -> Option<usize> {
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

    fn expr(&mut self, expr: &ast::Expr, ctx: Context) -> Option<(Expr, Shape)> {
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
                let op = match op {
                    UnaryOp::Neg => UnOp::Neg,
                    UnaryOp::Not => UnOp::Not,
                };
                let dim = if op == UnOp::Not { Dim::None } else { shape.dim };
                Some((Expr::Unary(op, Box::new(e)), Shape { dim, ..shape }))
            }
            ExprKind::Binary(op, a, b) => {
                let (ea, sa) = self.expr(a, ctx)?;
                let (eb, sb) = self.expr(b, ctx)?;
                let width = self.broadcast(&[sa.width, sb.width], expr.span)?;
                let op = binop(*op);
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
        let bound = self.bind_args(name, args, params, span)?;
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
    fn broadcast(&mut self, widths: &[usize], span: Span) -> Option<usize> {
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

fn binop(op: BinaryOp) -> BinOp {
    match op {
        BinaryOp::Or => BinOp::Or,
        BinaryOp::And => BinOp::And,
        BinaryOp::Eq => BinOp::Eq,
        BinaryOp::Ne => BinOp::Ne,
        BinaryOp::Lt => BinOp::Lt,
        BinaryOp::Le => BinOp::Le,
        BinaryOp::Gt => BinOp::Gt,
        BinaryOp::Ge => BinOp::Ge,
        BinaryOp::Add => BinOp::Add,
        BinaryOp::Sub => BinOp::Sub,
        BinaryOp::Mul => BinOp::Mul,
        BinaryOp::Div => BinOp::Div,
        BinaryOp::Pow => BinOp::Pow,
    }
}

/// The dimension of a sum: the known one, or `Any` where they disagree.
fn join(a: Dim, b: Dim) -> Dim {
    match (a, b) {
        (Dim::None, d) | (d, Dim::None) => d,
        (x, y) if x == y => x,
        _ => Dim::Any,
    }
}
