//! Checking a task written in the language: names, distributions, epochs, channel widths and
//! units, into a `trialspec::TrialSpec`. Every error points at the statement or expression.

use super::CheckError;
use super::names::did_you_mean;
use super::task_expr::{Context, Dim, join};
use crate::ast::{self, ChannelKind, ExprKind, TaskBody, TaskStmtKind};
use crate::check::diagnostic::Diagnostic;
use crate::source::Span;
use crate::trialspec::{Channel, ChannelPart, Dist, Epoch, Expr, Signal, TrialSpec, Var, VarDef};
use crate::units::Dimension;
use std::collections::HashMap;

/// Names with a fixed meaning inside a task body.
pub(super) const RESERVED: &[&str] = &["t", "duration", "dt", "pi"];

pub(super) struct Checker<'a> {
    pub(super) source: crate::source::SourceId,
    pub(super) errors: &'a mut Vec<Diagnostic>,
    pub(super) vars: HashMap<String, (usize, Dim)>,
    pub(super) var_list: Vec<Var>,
    pub(super) signals: HashMap<String, (usize, usize)>,
    pub(super) signal_list: Vec<Signal>,
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
    pub(super) fn error(
        &mut self,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
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
        let bound = self.bind_args(name, args, params)?;
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
                let bound = self.bind_args(name, args, &["rate", "n"])?;
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
            Dim::Of(Dimension::Time) | Dim::Any => {}
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
}
