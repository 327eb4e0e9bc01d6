//! The pest parser and its entry points; turns pest's errors into `SyntaxError`s.

use super::SyntaxError;
use super::lower::Lowerer;
use crate::ast::{Module, Override, Value};
use crate::source::SourceId;
use pest::Parser;
use pest::error::{ErrorVariant, InputLocation};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/rnx.pest"]
pub(crate) struct RnxParser;

/// Parses one source file. On a syntax error, the file is re-parsed item by item so that one pass
/// reports the first error of every item rather than only the first of the file.
pub fn parse_module(source: SourceId, text: &str) -> Result<Module, Vec<SyntaxError>> {
    match parse_items(source, text, 0) {
        Ok(items) => Ok(Module { source, items }),
        Err(first) => {
            let mut errors = Vec::new();
            for (start, end) in item_chunks(text) {
                if let Err(e) = parse_items(source, &text[start..end], start) {
                    errors.push(e);
                }
            }
            if errors.is_empty() {
                errors.push(first);
            }
            Err(errors)
        }
    }
}

fn parse_items(source: SourceId, text: &str, offset: usize) -> Result<Vec<crate::ast::Item>, SyntaxError> {
    let mut pairs = parse_rule(Rule::file, text, offset)?;
    let file = pairs.next().ok_or_else(|| internal(offset))?;
    Lowerer { source, offset }.items(file)
}

/// Splits a file at lines that start (in column 0) with a top-level keyword.
fn item_chunks(text: &str) -> Vec<(usize, usize)> {
    const KEYWORDS: [&str; 9] = [
        "task", "model", "loss", "data", "train", "analysis", "pipeline", "use", "profile",
    ];
    let mut starts = vec![0];
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let word: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if pos > 0 && KEYWORDS.contains(&word.as_str()) {
            starts.push(pos);
        }
        pos += line.len();
    }
    let mut chunks = Vec::new();
    for (i, &s) in starts.iter().enumerate() {
        let e = starts.get(i + 1).copied().unwrap_or(text.len());
        chunks.push((s, e));
    }
    chunks
}

/// Parses a value written on its own (the right-hand side of `--set`).
pub fn parse_value(source: SourceId, text: &str) -> Result<Value, SyntaxError> {
    let mut pairs = parse_rule(Rule::value_only, text, 0)?;
    let whole = pairs.next().ok_or_else(|| internal(0))?;
    let value = whole.into_inner().next().ok_or_else(|| internal(0))?;
    Lowerer { source, offset: 0 }.value(value)
}

/// Parses `NAME.PARAM=VALUE` from the command line; `text` is its own source.
pub fn parse_override(source: SourceId, text: &str) -> Result<Override, SyntaxError> {
    let bad = || SyntaxError::BadOverride {
        found: text.to_string(),
        path: "NAME.PARAM".into(),
        at: (0, text.len()).into(),
    };
    let eq = text.find('=').ok_or_else(bad)?;
    let path_text = &text[..eq];
    let mut path = Vec::new();
    let mut pos = 0;
    for part in path_text.split('.') {
        let trimmed = part.trim();
        let valid = !trimmed.is_empty()
            && trimmed
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && trimmed.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(bad());
        }
        let start = pos + (part.len() - part.trim_start().len());
        path.push(crate::ast::Ident {
            name: trimmed.to_string(),
            span: crate::source::Span::new(source, start, start + trimmed.len()),
        });
        pos += part.len() + 1;
    }
    if path.len() < 2 {
        return Err(bad());
    }
    let value_text = &text[eq + 1..];
    let mut pairs = parse_rule(Rule::value_only, value_text, eq + 1)?;
    let whole = pairs.next().ok_or_else(|| internal(eq + 1))?;
    let value_pair = whole.into_inner().next().ok_or_else(|| internal(eq + 1))?;
    let value = Lowerer { source, offset: eq + 1 }.value(value_pair)?;
    Ok(Override {
        path,
        value,
        span: crate::source::Span::new(source, 0, text.len()),
    })
}

/// Parses `text` as `rule`. On failure it parses again with pest's detailed error tracking on, which
/// records the literal tokens (`=`, `}`, ...) expected at the furthest position reached; tracking is
/// off on the success path because it costs time.
fn parse_rule(rule: Rule, text: &str, offset: usize) -> Result<pest::iterators::Pairs<'_, Rule>, SyntaxError> {
    match RnxParser::parse(rule, text) {
        Ok(pairs) => Ok(pairs),
        Err(plain) => {
            pest::set_error_detail(true);
            let detailed = RnxParser::parse(rule, text).err();
            pest::set_error_detail(false);
            Err(convert(detailed.unwrap_or(plain), text, offset))
        }
    }
}

fn internal(offset: usize) -> SyntaxError {
    SyntaxError::Unexpected {
        expected: "valid syntax".into(),
        at: (offset, 0).into(),
        found: "here".into(),
        help: None,
    }
}

/// Converts pest's error into ours, naming rules and tokens the way a user would.
fn convert(error: pest::error::Error<Rule>, text: &str, offset: usize) -> SyntaxError {
    let mut pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut rules: Vec<Rule> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut tokens: Vec<String> = Vec::new();
    if let Some(attempts) = error.parse_attempts()
        && attempts.max_position >= pos
    {
        if attempts.max_position > pos {
            rules.clear();
        }
        pos = attempts.max_position;
        for call in attempts.call_stacks() {
            if let Some(rule) = call.deepest.get_rule() {
                rules.push(*rule);
            }
        }
        for token in attempts.expected_tokens() {
            // Keep punctuation and keywords; number internals (digit ranges, `e`, `_`) say nothing useful.
            let token = token.to_string();
            let noise = token.trim().is_empty()
                || token.contains("..")
                || matches!(token.as_str(), "#" | "E" | "_" | "." | "BUILTIN_RULE" | "\\" | "\"");
            if !noise && !tokens.contains(&token) {
                tokens.push(token);
            }
        }
    }
    let (mut expected, help) = describe(&rules, &tokens);
    // A failure inside a word (`dataset` is not `data`): point at the whole word.
    let word_start = text[..pos.min(text.len())]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map_or(pos, |(i, _)| i);
    if expected == "valid syntax" && word_start < pos {
        pos = word_start;
        expected = "a declaration (task, model, loss, data, train, analysis), `pipeline`, `use` or `profile`".into();
    }
    // Point at the next token, not at the whitespace before it.
    let rest_all = &text[pos.min(text.len())..];
    let skipped = rest_all.len() - rest_all.trim_start().len();
    let rest = &rest_all[skipped..];
    let token: String = match rest.chars().next() {
        None => String::new(),
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect(),
        Some(c) => c.to_string(),
    };
    let (found, start, len) = if token.is_empty() {
        ("the file ends here".to_string(), pos, 0)
    } else {
        (format!("found `{token}`"), pos + skipped, token.len())
    };
    SyntaxError::Unexpected {
        expected,
        at: (offset + start, len).into(),
        found,
        help,
    }
}

fn describe(rules: &[Rule], tokens: &[String]) -> (String, Option<String>) {
    let mut names: Vec<String> = tokens.iter().map(|t| format!("`{t}`")).collect();
    for rule in rules {
        let name = match rule {
            Rule::EOI => "end of file",
            Rule::ident | Rule::path => "a name",
            Rule::decl_kind | Rule::declaration => "a declaration (task, model, loss, data, train, analysis)",
            Rule::value | Rule::value_only | Rule::weight => "a value",
            Rule::number | Rule::digits => "a number",
            Rule::unit => "a unit",
            Rule::string | Rule::string_inner => "a string",
            Rule::call | Rule::loss_expr | Rule::loss_term => "an operator",
            Rule::block => "`{`",
            Rule::args => "`(`",
            Rule::entry | Rule::assignment => "`name = value`",
            Rule::arg | Rule::named => "an argument",
            Rule::select | Rule::star => "a coordinate or `*`",
            Rule::add_op => "`+` or `-`",
            Rule::pipeline_header | Rule::kw_pipeline => "`pipeline`",
            Rule::use_stmt | Rule::kw_use => "`use`",
            Rule::profile | Rule::kw_profile => "`profile`",
            _ => "valid syntax",
        };
        if name != "valid syntax" && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    // Unit tokens are summed up as "a unit", with the list in the help.
    const UNITS: [&str; 7] = ["`%`", "`Hz`", "`deg`", "`ms`", "`rad`", "`s`", "`steps`"];
    if names.iter().any(|n| UNITS.contains(&n.as_str())) {
        names.retain(|n| !UNITS.contains(&n.as_str()));
        if !names.iter().any(|n| n == "a unit") {
            names.push("a unit".into());
        }
    }
    let help = if names.iter().any(|n| n == "a unit") {
        Some("units are ms, s, Hz, deg, rad, steps and %".to_string())
    } else {
        None
    };
    let expected = match names.as_slice() {
        [] => "valid syntax".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    (expected, help)
}
