//! Lowering a task written in the language (`task NAME = { ... }`) and its expressions.

use super::SyntaxError;
use super::lower::Lowerer;
use super::parser::Rule;
use crate::ast::*;
use pest::iterators::Pair;

type Result<T> = std::result::Result<T, SyntaxError>;

impl Lowerer {
    pub(super) fn task_body(&self, pair: Pair<Rule>) -> Result<TaskBody> {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        let mut stmts = Vec::new();
        for stmt in pair.into_inner() {
            let stmt_span = self.span(&stmt);
            let rule = stmt.as_rule();
            let mut inner = stmt.into_inner().filter(|p| !is_keyword(p.as_rule()));
            let kind = match rule {
                Rule::entry => {
                    let key = self.ident(take(&mut inner, self, stmt_span)?);
                    let value = self.value(take(&mut inner, self, stmt_span)?)?;
                    entries.push(Entry { key, value });
                    continue;
                }
                Rule::var_stmt => {
                    let name = self.ident(take(&mut inner, self, stmt_span)?);
                    let body = take(&mut inner, self, stmt_span)?;
                    let draw = body.as_rule() == Rule::draw;
                    let expr_pair = body.into_inner().next().ok_or_else(|| self.empty(stmt_span))?;
                    TaskStmtKind::Var {
                        name,
                        draw,
                        expr: self.expr(expr_pair)?,
                    }
                }
                Rule::require_stmt => TaskStmtKind::Require(self.expr(take(&mut inner, self, stmt_span)?)?),
                Rule::signal_stmt => {
                    let name = self.ident(take(&mut inner, self, stmt_span)?);
                    TaskStmtKind::Signal {
                        name,
                        expr: self.expr(take(&mut inner, self, stmt_span)?)?,
                    }
                }
                Rule::epoch_stmt => {
                    let name = self.ident(take(&mut inner, self, stmt_span)?);
                    TaskStmtKind::Epoch {
                        name,
                        duration: self.expr(take(&mut inner, self, stmt_span)?)?,
                    }
                }
                Rule::channel_stmt => self.channel(stmt_span, inner)?,
                Rule::mask_stmt => TaskStmtKind::Mask(inner.map(|p| self.ident(p)).collect()),
                _ => return Err(self.empty(stmt_span)),
            };
            stmts.push(TaskStmt { kind, span: stmt_span });
        }
        Ok(TaskBody {
            settings: Block { entries, span },
            stmts,
            span,
        })
    }

    fn channel<'i>(
        &self,
        span: crate::source::Span,
        mut inner: impl Iterator<Item = Pair<'i, Rule>>,
    ) -> Result<TaskStmtKind> {
        let kind_pair = inner.next().ok_or_else(|| self.empty(span))?;
        let kind = if kind_pair.as_str() == "input" {
            ChannelKind::Input
        } else {
            ChannelKind::Target
        };
        let name = self.ident(inner.next().ok_or_else(|| self.empty(span))?);
        let mut width = None;
        let mut expr = None;
        let mut during = Vec::new();
        for part in inner {
            match part.as_rule() {
                Rule::width => {
                    let width_span = self.span(&part);
                    let digits: String = part.as_str().chars().filter(char::is_ascii_digit).collect();
                    let n = digits.parse::<usize>().map_err(|_| SyntaxError::Number {
                        text: part.as_str().to_string(),
                        at: width_span.miette(),
                    })?;
                    width = Some((n, width_span));
                }
                Rule::expr => expr = Some(self.expr(part)?),
                Rule::during => {
                    during = part
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::epoch_name)
                        .map(|p| self.ident(p))
                        .collect()
                }
                _ => return Err(self.malformed(&part)),
            }
        }
        Ok(TaskStmtKind::Channel {
            kind,
            name,
            width,
            expr: expr.ok_or_else(|| self.empty(span))?,
            during,
        })
    }

    /// Lowers an expression of any precedence level.
    fn expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr => {
                let inner = pair.into_inner().next().ok_or_else(|| self.empty(span))?;
                self.expr(inner)
            }
            Rule::or_expr | Rule::and_expr | Rule::cmp_expr | Rule::sum_expr | Rule::prod_expr => {
                let mut inner = pair.into_inner();
                let mut left = self.expr(inner.next().ok_or_else(|| self.empty(span))?)?;
                while let Some(op) = inner.next() {
                    let op_kind = BinaryOp::from_symbol(op.as_str()).ok_or_else(|| self.malformed(&op))?;
                    let right = self.expr(inner.next().ok_or_else(|| self.empty(span))?)?;
                    let joined = crate::source::Span::new(span.source, left.span.start, right.span.end);
                    left = Expr {
                        kind: ExprKind::Binary(op_kind, Box::new(left), Box::new(right)),
                        span: joined,
                    };
                }
                Ok(left)
            }
            Rule::unary => {
                let parts: Vec<Pair<Rule>> = pair.into_inner().collect();
                let (operand, prefixes) = parts.split_last().ok_or_else(|| self.empty(span))?;
                let mut value = self.expr(operand.clone())?;
                for prefix in prefixes.iter().rev() {
                    let op = if prefix.as_str() == "-" {
                        UnaryOp::Neg
                    } else {
                        UnaryOp::Not
                    };
                    let start = self.span(prefix).start;
                    value = Expr {
                        span: crate::source::Span::new(span.source, start, value.span.end),
                        kind: ExprKind::Unary(op, Box::new(value)),
                    };
                }
                Ok(value)
            }
            Rule::power => {
                let mut inner = pair.into_inner();
                let base = self.expr(inner.next().ok_or_else(|| self.empty(span))?)?;
                match (inner.next(), inner.next()) {
                    (Some(_), Some(exponent)) => Ok(Expr {
                        kind: ExprKind::Binary(BinaryOp::Pow, Box::new(base), Box::new(self.expr(exponent)?)),
                        span,
                    }),
                    _ => Ok(base),
                }
            }
            Rule::fn_call => {
                let mut inner = pair.into_inner();
                let name = self.ident(inner.next().ok_or_else(|| self.empty(span))?);
                let mut args = Vec::new();
                for arg in inner {
                    let mut parts: Vec<Pair<Rule>> = arg.into_inner().collect();
                    let value = self.expr(parts.pop().ok_or_else(|| self.empty(span))?)?;
                    let name = parts.pop().map(|p| self.ident(p));
                    args.push(FnArg { name, value });
                }
                Ok(Expr {
                    kind: ExprKind::Call { name, args },
                    span,
                })
            }
            Rule::vector => Ok(Expr {
                kind: ExprKind::Vector(pair.into_inner().map(|p| self.expr(p)).collect::<Result<_>>()?),
                span,
            }),
            Rule::quantity | Rule::number | Rule::boolean => {
                let value = self.value(pair)?;
                let kind = match value.kind {
                    ValueKind::Number { value, .. } => ExprKind::Number(value),
                    ValueKind::Quantity { value, unit } => ExprKind::Quantity { value, unit },
                    ValueKind::Bool(b) => ExprKind::Bool(b),
                    _ => return Err(self.empty(span)),
                };
                Ok(Expr { kind, span: value.span })
            }
            Rule::name => Ok(Expr {
                kind: ExprKind::Name(pair.as_str().to_string()),
                span,
            }),
            _ => Err(self.malformed(&pair)),
        }
    }
}

/// Keyword tokens carry no information once the statement's rule is known.
fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_var | Rule::kw_require | Rule::kw_signal | Rule::kw_epoch | Rule::kw_mask | Rule::kw_during
    )
}

/// The next part of a statement, or an error if the parse tree ends early.
fn take<'i>(
    parts: &mut impl Iterator<Item = Pair<'i, Rule>>,
    lowerer: &Lowerer,
    span: crate::source::Span,
) -> Result<Pair<'i, Rule>> {
    parts.next().ok_or_else(|| lowerer.empty(span))
}
