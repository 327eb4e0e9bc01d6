//! Lowering: pest's parse tree to the `ast` types, with spans shifted into file coordinates.

use super::SyntaxError;
use super::parser::Rule;
use crate::ast::*;
use crate::schema::DeclKind;
use crate::source::{SourceId, Span};
use pest::iterators::Pair;

/// Turns pairs into AST nodes. `offset` is added to every position (for chunked re-parsing).
pub(crate) struct Lowerer {
    pub source: SourceId,
    pub offset: usize,
}

type Result<T> = std::result::Result<T, SyntaxError>;

impl Lowerer {
    pub(super) fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.source, self.offset + s.start(), self.offset + s.end())
    }

    pub(super) fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    pub(super) fn malformed(&self, pair: &Pair<Rule>) -> SyntaxError {
        SyntaxError::Unexpected {
            expected: "valid syntax".into(),
            at: self.span(pair).miette(),
            found: format!("found `{}`", pair.as_str()),
            help: None,
        }
    }

    pub fn items(&self, file: Pair<Rule>) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        for pair in file.into_inner() {
            let item = match pair.as_rule() {
                Rule::pipeline_header => Item::Pipeline(self.pipeline_header(pair)?),
                Rule::use_stmt => Item::Use(self.use_stmt(pair)?),
                Rule::profile => Item::Profile(self.profile(pair)?),
                Rule::declaration => Item::Declaration(self.declaration(pair)?),
                Rule::EOI => continue,
                _ => return Err(self.malformed(&pair)),
            };
            items.push(item);
        }
        Ok(items)
    }

    fn pipeline_header(&self, pair: Pair<Rule>) -> Result<PipelineHeader> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_pipeline);
        let name = self.ident(inner.next().ok_or_else(|| self.empty(span))?);
        let settings = self.block(inner.next().ok_or_else(|| self.empty(span))?)?;
        Ok(PipelineHeader { name, settings, span })
    }

    fn use_stmt(&self, pair: Pair<Rule>) -> Result<UseStmt> {
        let span = self.span(&pair);
        let string = pair
            .into_inner()
            .find(|p| p.as_rule() == Rule::string)
            .ok_or_else(|| self.empty(span))?;
        Ok(UseStmt {
            path: unescape(string),
            span,
        })
    }

    fn profile(&self, pair: Pair<Rule>) -> Result<Profile> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_profile);
        let name = self.ident(inner.next().ok_or_else(|| self.empty(span))?);
        let mut overrides = Vec::new();
        for assignment in inner {
            let a_span = self.span(&assignment);
            let mut parts = assignment.into_inner();
            let path_pair = parts.next().ok_or_else(|| self.empty(a_span))?;
            let path = path_pair.into_inner().map(|p| self.ident(p)).collect();
            let value = self.value(parts.next().ok_or_else(|| self.empty(a_span))?)?;
            overrides.push(Override {
                path,
                value,
                span: a_span,
            });
        }
        Ok(Profile { name, overrides, span })
    }

    fn declaration(&self, pair: Pair<Rule>) -> Result<Declaration> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let kind_pair = inner.next().ok_or_else(|| self.empty(span))?;
        let kind_span = self.span(&kind_pair);
        let kind = DeclKind::from_keyword(kind_pair.as_str()).ok_or_else(|| self.malformed(&kind_pair))?;
        let name = self.ident(inner.next().ok_or_else(|| self.empty(span))?);
        let body_pair = inner.next().ok_or_else(|| self.empty(span))?;
        let body = match body_pair.as_rule() {
            Rule::loss_expr => {
                let expr = self.loss_expr(body_pair)?;
                // A single unweighted term is an ordinary call; the checker decides what it may be.
                if expr.terms.len() == 1 && expr.terms[0].weight.is_none() && expr.terms[0].sign > 0.0 {
                    let only = expr.terms.into_iter().next().ok_or_else(|| self.empty(span))?;
                    DeclBody::Call(only.call)
                } else {
                    DeclBody::Loss(expr)
                }
            }
            Rule::call => DeclBody::Call(self.call(body_pair)?),
            Rule::task_body => DeclBody::Task(self.task_body(body_pair)?),
            _ => return Err(self.malformed(&body_pair)),
        };
        Ok(Declaration {
            kind,
            kind_span,
            name,
            body,
            span,
        })
    }

    fn loss_expr(&self, pair: Pair<Rule>) -> Result<LossExpr> {
        let span = self.span(&pair);
        let mut terms = Vec::new();
        let mut sign = 1.0;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::add_op => sign = if part.as_str() == "-" { -1.0 } else { 1.0 },
                Rule::loss_term => {
                    let t_span = self.span(&part);
                    let mut weight = None;
                    let mut call = None;
                    for piece in part.into_inner() {
                        match piece.as_rule() {
                            Rule::weight => {
                                let w = piece.into_inner().next().ok_or_else(|| self.empty(t_span))?;
                                weight = Some(self.value_inner(w)?);
                            }
                            Rule::call => call = Some(self.call(piece)?),
                            _ => return Err(self.malformed(&piece)),
                        }
                    }
                    let call = call.ok_or_else(|| self.empty(t_span))?;
                    terms.push(LossTerm {
                        sign,
                        weight,
                        call,
                        span: t_span,
                    });
                }
                _ => return Err(self.malformed(&part)),
            }
        }
        Ok(LossExpr { terms, span })
    }

    fn call(&self, pair: Pair<Rule>) -> Result<Call> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let op = self.ident(inner.next().ok_or_else(|| self.empty(span))?);
        let mut args = Vec::new();
        let mut block = None;
        for part in inner {
            match part.as_rule() {
                Rule::args => {
                    for arg in part.into_inner() {
                        let a = arg.into_inner().next().ok_or_else(|| self.empty(span))?;
                        args.push(match a.as_rule() {
                            Rule::named => {
                                let mut kv = a.into_inner();
                                let key = self.ident(kv.next().ok_or_else(|| self.empty(span))?);
                                let value = self.value(kv.next().ok_or_else(|| self.empty(span))?)?;
                                Arg::Named(key, value)
                            }
                            _ => Arg::Positional(self.value(a)?),
                        });
                    }
                }
                Rule::block => block = Some(self.block(part)?),
                _ => return Err(self.malformed(&part)),
            }
        }
        Ok(Call { op, args, block, span })
    }

    pub(super) fn block(&self, pair: Pair<Rule>) -> Result<Block> {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        for entry in pair.into_inner() {
            let mut kv = entry.into_inner();
            let key = self.ident(kv.next().ok_or_else(|| self.empty(span))?);
            let value = self.value(kv.next().ok_or_else(|| self.empty(span))?)?;
            entries.push(Entry { key, value });
        }
        Ok(Block { entries, span })
    }

    /// Lowers a `value` pair (which wraps exactly one alternative).
    pub fn value(&self, pair: Pair<Rule>) -> Result<Value> {
        if pair.as_rule() != Rule::value {
            return self.value_inner(pair);
        }
        let span = self.span(&pair);
        let inner = pair.into_inner().next().ok_or_else(|| self.empty(span))?;
        self.value_inner(inner)
    }

    fn value_inner(&self, pair: Pair<Rule>) -> Result<Value> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::number => self.number(&pair)?,
            Rule::quantity => {
                let mut inner = pair.into_inner();
                let num = inner.next().ok_or_else(|| self.empty(span))?;
                let unit = inner.next().ok_or_else(|| self.empty(span))?;
                let end = self.span(&unit).end;
                let value = match self.number(&num)? {
                    ValueKind::Number { value, .. } => value,
                    _ => return Err(self.malformed(&num)),
                };
                return Ok(Value {
                    kind: ValueKind::Quantity {
                        value,
                        unit: unit.as_str().to_string(),
                    },
                    span: Span::new(self.source, span.start, end),
                });
            }
            Rule::string => ValueKind::Str(unescape(pair)),
            Rule::boolean => ValueKind::Bool(pair.as_str() == "true"),
            Rule::list => ValueKind::List(pair.into_inner().map(|v| self.value(v)).collect::<Result<_>>()?),
            Rule::sweep => ValueKind::Sweep(pair.into_inner().map(|v| self.value(v)).collect::<Result<_>>()?),
            Rule::block => ValueKind::Block(self.block(pair)?),
            Rule::reference => ValueKind::Reference(self.reference(pair)?),
            _ => return Err(self.malformed(&pair)),
        };
        Ok(Value { kind, span })
    }

    pub(super) fn number(&self, pair: &Pair<Rule>) -> Result<ValueKind> {
        let text: String = pair.as_str().chars().filter(|c| *c != '_').collect();
        let bad = || SyntaxError::Number {
            text: pair.as_str().to_string(),
            at: self.span(pair).miette(),
        };
        let is_integer = !text.contains(['.', 'e', 'E']);
        let value: f64 = text.parse().map_err(|_| bad())?;
        if !value.is_finite() {
            return Err(bad());
        }
        let integer = if is_integer {
            Some(text.parse::<i64>().map_err(|_| bad())?)
        } else {
            None
        };
        Ok(ValueKind::Number { value, integer })
    }

    fn reference(&self, pair: Pair<Rule>) -> Result<Reference> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.ident(inner.next().ok_or_else(|| self.empty(span))?);
        let selector = match inner.next() {
            None => None,
            Some(sel) => {
                let sel_span = self.span(&sel);
                let mut coords = Vec::new();
                let mut all = false;
                for part in sel.into_inner() {
                    match part.as_rule() {
                        Rule::star => all = true,
                        Rule::select => {
                            let mut kv = part.into_inner();
                            let key = self.ident(kv.next().ok_or_else(|| self.empty(span))?);
                            let v = kv.next().ok_or_else(|| self.empty(span))?;
                            let value = if v.as_rule() == Rule::star {
                                None
                            } else {
                                Some(self.value(v)?)
                            };
                            coords.push((key, value));
                        }
                        _ => return Err(self.malformed(&part)),
                    }
                }
                Some(if all {
                    Selector::All(sel_span)
                } else {
                    Selector::Coords(coords, sel_span)
                })
            }
        };
        Ok(Reference { name, selector })
    }

    pub(super) fn empty(&self, span: Span) -> SyntaxError {
        SyntaxError::Unexpected {
            expected: "valid syntax".into(),
            at: span.miette(),
            found: "incomplete".into(),
            help: None,
        }
    }
}

/// The text of a string literal, with escapes resolved.
fn unescape(pair: Pair<Rule>) -> String {
    let raw = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}
