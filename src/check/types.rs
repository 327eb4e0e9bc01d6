//! Type-checking one parameter value against its schema type, resolving units to SI.

use super::CheckError;
use super::names::did_you_mean;
use crate::ast::{self, ValueKind};
use crate::schema::{ParamSpec, ParamType};
use crate::units::{UnitMeaning, unit_meaning};
use crate::value::{Value, format_float};
use std::collections::BTreeMap;
use std::path::Path;

/// Where relative file paths in values are resolved from.
pub struct PathBase<'a> {
    pub dir: &'a Path,
}

/// Checks `value` against `ty`. Sweeps are the caller's business; one inside a value is an error.
pub fn check_value(name: &str, ty: &ParamType, value: &ast::Value, base: &PathBase) -> Result<Value, Vec<CheckError>> {
    let at = value.span.miette();
    let wrong = |expected: String, help: Option<String>| {
        Err(vec![CheckError::WrongType {
            name: name.to_string(),
            expected,
            found: value.kind.describe().to_string(),
            at,
            help,
        }])
    };
    match (ty, &value.kind) {
        (_, ValueKind::Sweep(_)) => Err(vec![CheckError::BadSweep {
            message: "a sweep must be the whole value of a parameter".into(),
            at,
            help: Some("write `param = sweep(a, b)` rather than nesting the sweep".into()),
        }]),
        (ParamType::Bool, ValueKind::Bool(b)) => Ok(Value::Bool(*b)),
        (ParamType::Int { min, max }, ValueKind::Number { integer: Some(i), .. }) => {
            if i < min || i > max {
                Err(vec![out_of_range(name, &i.to_string(), ty, at)])
            } else {
                Ok(Value::Int(*i))
            }
        }
        (ParamType::Int { .. }, ValueKind::Number { value: x, .. }) => wrong(
            "an integer".into(),
            Some(format!(
                "`{}` has a fraction or exponent; write a whole number",
                format_float(*x)
            )),
        ),
        (ParamType::Float { min, max }, ValueKind::Number { value: x, .. }) => {
            in_range(name, *x, *min, *max, ty, at).map(Value::Float)
        }
        (ParamType::Float { min, max }, ValueKind::Quantity { value: x, unit }) if unit == "%" => {
            in_range(name, x / 100.0, *min, *max, ty, at).map(Value::Float)
        }
        (ParamType::Quantity { dim, min, max }, ValueKind::Quantity { value: x, unit }) => match unit_meaning(unit) {
            Some(UnitMeaning::Of(d, factor)) if d == *dim => {
                in_range(name, x * factor, *min, *max, ty, at).map(|si| Value::Quantity { si, dim: *dim })
            }
            _ => Err(vec![CheckError::WrongUnit {
                name: name.to_string(),
                expected: dim.to_string(),
                unit: unit.clone(),
                at,
                help: format!(
                    "use {}",
                    dim.units()
                        .iter()
                        .map(|u| format!("`{u}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            }]),
        },
        (ParamType::Quantity { dim, .. }, ValueKind::Number { value: x, .. }) => Err(vec![CheckError::MissingUnit {
            name: name.to_string(),
            expected: dim.to_string(),
            at,
            help: format!(
                "write it with a unit, for example `{} {}`",
                format_float(*x),
                dim.units()[0]
            ),
        }]),
        (ParamType::Str, ValueKind::Str(s)) => Ok(Value::Str(s.clone())),
        (ParamType::Path, ValueKind::Str(s)) => {
            if s.is_empty() {
                return wrong("a file path".into(), None);
            }
            Ok(Value::Str(base.dir.join(s).to_string_lossy().into_owned()))
        }
        (ParamType::Enum(options), ValueKind::Reference(r)) if r.selector.is_none() => {
            if options.contains(&r.name.name.as_str()) {
                Ok(Value::Enum(r.name.name.clone()))
            } else {
                Err(vec![CheckError::UnknownEnumValue {
                    name: name.to_string(),
                    value: r.name.name.clone(),
                    at,
                    options: options.join(", "),
                    help: did_you_mean(&r.name.name, options.iter().copied()),
                }])
            }
        }
        (ParamType::Enum(options), ValueKind::Str(s)) => wrong(
            format!("one of {}", options.join(", ")),
            Some(format!("write it without quotes: `{s}`")),
        ),
        (ParamType::List(inner), ValueKind::List(items)) => {
            let mut out = Vec::new();
            let mut errors = Vec::new();
            for item in items {
                match check_value(name, inner, item, base) {
                    Ok(v) => out.push(v),
                    Err(e) => errors.extend(e),
                }
            }
            if errors.is_empty() {
                Ok(Value::List(out))
            } else {
                Err(errors)
            }
        }
        (ParamType::List(_), _) => wrong(
            ty.to_string(),
            Some("write a list in brackets, for example `[0, 0.1]`".into()),
        ),
        (ParamType::Block(specs), ValueKind::Block(block)) => check_block(name, specs, block, base).map(Value::Block),
        (ParamType::FreeBlock, ValueKind::Block(block)) => check_free_block(block),
        _ => wrong(ty.to_string(), None),
    }
}

/// Whether `entry` repeats a name met before in its block (reported as an error if so).
fn repeats<'b>(
    entry: &'b ast::Entry,
    seen: &mut BTreeMap<&'b str, miette::SourceSpan>,
    errors: &mut Vec<CheckError>,
) -> bool {
    match seen.insert(entry.key.name.as_str(), entry.key.span.miette()) {
        Some(first) => {
            errors.push(CheckError::DuplicateParameter {
                name: entry.key.name.clone(),
                at: entry.key.span.miette(),
                first,
            });
            true
        }
        None => false,
    }
}

/// Checks a free-form block: any entry names, plain values of any type (no sweeps or names).
fn check_free_block(block: &ast::Block) -> Result<Value, Vec<CheckError>> {
    let mut values = BTreeMap::new();
    let mut errors = Vec::new();
    let mut seen = BTreeMap::new();
    for entry in &block.entries {
        if repeats(entry, &mut seen, &mut errors) {
            continue;
        }
        let key = entry.key.name.as_str();
        match check_free(key, &entry.value) {
            Ok(v) => {
                values.insert(key.to_string(), v);
            }
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(Value::Block(values))
    } else {
        Err(errors)
    }
}

/// One value of a free-form block, typed by how it is written.
fn check_free(name: &str, value: &ast::Value) -> Result<Value, Vec<CheckError>> {
    let at = value.span.miette();
    match &value.kind {
        ValueKind::Number { integer: Some(i), .. } => Ok(Value::Int(*i)),
        ValueKind::Number { value: x, .. } => Ok(Value::Float(*x)),
        ValueKind::Quantity { value: x, unit } => match unit_meaning(unit) {
            Some(UnitMeaning::Of(dim, factor)) => Ok(Value::Quantity { si: x * factor, dim }),
            Some(UnitMeaning::Percent) => Ok(Value::Float(x / 100.0)),
            None => Err(vec![CheckError::WrongType {
                name: name.to_string(),
                expected: "a number with a known unit".into(),
                found: format!("the unit `{unit}`"),
                at,
                help: Some("the units are ms, s, Hz, deg, rad, steps and %".into()),
            }]),
        },
        ValueKind::Str(s) => Ok(Value::Str(s.clone())),
        ValueKind::Bool(b) => Ok(Value::Bool(*b)),
        ValueKind::List(items) => {
            let mut out = Vec::new();
            let mut errors = Vec::new();
            for item in items {
                match check_free(name, item) {
                    Ok(v) => out.push(v),
                    Err(e) => errors.extend(e),
                }
            }
            if errors.is_empty() {
                Ok(Value::List(out))
            } else {
                Err(errors)
            }
        }
        ValueKind::Block(block) => check_free_block(block),
        ValueKind::Sweep(_) => Err(vec![CheckError::BadSweep {
            message: "a sweep must be the whole value of a parameter".into(),
            at,
            help: Some("sweep an upstream stage instead; its coordinates reach the script".into()),
        }]),
        ValueKind::Reference(_) => Err(vec![CheckError::WrongType {
            name: name.to_string(),
            expected: "a number, quantity, string, boolean, list or block".into(),
            found: value.kind.describe().to_string(),
            at,
            help: Some("write text in quotes: `\"name\"`".into()),
        }]),
    }
}

/// Checks a nested block's entries against its parameter specs and fills in defaults.
fn check_block(
    name: &str,
    specs: &[ParamSpec],
    block: &ast::Block,
    base: &PathBase,
) -> Result<BTreeMap<String, Value>, Vec<CheckError>> {
    let mut values = BTreeMap::new();
    let mut errors = Vec::new();
    let mut seen = BTreeMap::new();
    for entry in &block.entries {
        if repeats(entry, &mut seen, &mut errors) {
            continue;
        }
        let key = entry.key.name.as_str();
        match specs.iter().find(|s| s.name == key) {
            None => errors.push(CheckError::UnknownParameter {
                op: name.to_string(),
                name: key.to_string(),
                at: entry.key.span.miette(),
                help: did_you_mean(key, specs.iter().map(|s| s.name)),
            }),
            Some(spec) => match check_value(key, &spec.ty, &entry.value, base) {
                Ok(v) => {
                    values.insert(key.to_string(), v);
                }
                Err(e) => errors.extend(e),
            },
        }
    }
    for spec in specs {
        if values.contains_key(spec.name) || seen.contains_key(spec.name) {
            continue;
        }
        match default_value(spec) {
            Some(Ok(v)) => {
                values.insert(spec.name.to_string(), v);
            }
            Some(Err(e)) => errors.push(e),
            None => errors.push(CheckError::MissingParameter {
                op: name.to_string(),
                name: spec.name.to_string(),
                at: block.span.miette(),
                help: format!("{}: {}", spec.ty, spec.doc),
            }),
        }
    }
    if errors.is_empty() { Ok(values) } else { Err(errors) }
}

/// The checked default of a parameter, or `None` if it is required.
pub fn default_value(spec: &ParamSpec) -> Option<Result<Value, CheckError>> {
    let text = spec.default?;
    let source = crate::source::SourceId(u32::MAX);
    let internal = |what: String| CheckError::WrongType {
        name: spec.name.to_string(),
        expected: spec.ty.to_string(),
        found: format!("the default `{text}` ({what}), a bug in rnx"),
        at: (0, 0).into(),
        help: None,
    };
    let parsed = match crate::syntax::parse_value(source, text) {
        Ok(v) => v,
        Err(e) => return Some(Err(internal(e.to_string()))),
    };
    let base = PathBase { dir: Path::new("") };
    Some(check_value(spec.name, &spec.ty, &parsed, &base).map_err(|e| internal(format!("{} errors", e.len()))))
}

fn in_range(
    name: &str,
    x: f64,
    min: f64,
    max: f64,
    ty: &ParamType,
    at: miette::SourceSpan,
) -> Result<f64, Vec<CheckError>> {
    if x < min || x > max || x.is_nan() {
        Err(vec![out_of_range(name, &format_float(x), ty, at)])
    } else {
        Ok(x)
    }
}

fn out_of_range(name: &str, value: &str, ty: &ParamType, at: miette::SourceSpan) -> CheckError {
    let range = ty.to_string();
    let range = range.rsplit_once(" in ").map_or(range.clone(), |(_, r)| r.to_string());
    CheckError::OutOfRange {
        name: name.to_string(),
        value: value.to_string(),
        at,
        range,
    }
}
