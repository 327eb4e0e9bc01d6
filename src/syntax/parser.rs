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
    let mut pairs = RnxParser::parse(Rule::file, text).map_err(|e| convert(e, text, offset))?;
    let file = pairs.next().ok_or_else(|| internal(offset))?;
    Lowerer { source, offset }.items(file)
}

/// Splits a file at lines that start (in column 0) with a top-level keyword.
fn item_chunks(text: &str) -> Vec<(usize, usize)> {
    const KEYWORDS: [&str; 9] = ["task", "model", "loss", "data", "train", "analysis", "pipeline", "use", "profile"];
    let mut starts = vec![0];
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let word: String = line.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
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
    let mut pairs = RnxParser::parse(Rule::value_only, text).map_err(|e| convert(e, text, 0))?;
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
            && trimmed.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
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
    let mut pairs = RnxParser::parse(Rule::value_only, value_text).map_err(|e| convert(e, value_text, eq + 1))?;
    let whole = pairs.next().ok_or_else(|| internal(eq + 1))?;
    let value_pair = whole.into_inner().next().ok_or_else(|| internal(eq + 1))?;
    let value = Lowerer { source, offset: eq + 1 }.value(value_pair)?;
    Ok(Override { path, value, span: crate::source::Span::new(source, 0, text.len()) })
}

fn internal(offset: usize) -> SyntaxError {
    SyntaxError::Unexpected {
        expected: "valid syntax".into(),
        at: (offset, 0).into(),
        found: "here".into(),
        help: None,
    }
}

/// Converts pest's error into ours, naming rules the way a user would.
fn convert(error: pest::error::Error<Rule>, text: &str, offset: usize) -> SyntaxError {
    let pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let (expected, help) = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => describe(positives),
        ErrorVariant::CustomError { message } => (message.clone(), None),
    };
    let rest = &text[pos.min(text.len())..];
    let token: String = match rest.chars().next() {
        None => String::new(),
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
        }
        Some(c) => c.to_string(),
    };
    let (found, len) = if token.is_empty() {
        ("the file ends here".to_string(), 0)
    } else if token == "\n" {
        ("the line ends here".to_string(), 1)
    } else {
        (format!("found `{token}`"), token.len())
    };
    SyntaxError::Unexpected { expected, at: (offset + pos, len).into(), found, help }
}

fn describe(rules: &[Rule]) -> (String, Option<String>) {
    let mut names: Vec<&str> = Vec::new();
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
            Rule::pipeline_header => "`pipeline`",
            Rule::use_stmt => "`use`",
            Rule::profile => "`profile`",
            _ => "valid syntax",
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let help = if names.contains(&"a unit") {
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
