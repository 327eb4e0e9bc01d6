//! Resolving one declaration: its operator, parameters (with defaults and sweeps) and references.

use super::CheckError;
use super::checked::{CheckedTerm, Coordinate, Slot};
use super::names::did_you_mean;
use super::types::{PathBase, check_value, default_value};
use crate::ast::{self, Arg, Call, DeclBody, Declaration, ValueKind};
use crate::check::diagnostic::Diagnostic;
use crate::ops::{self, Operator};
use crate::schema::{DeclKind, InputSpec, OpSchema, ParamSpec, ParamType};
use crate::source::Span;
use std::collections::{BTreeMap, HashMap};

/// The parameter every stage accepts: an extra seed mixed into its derived seed.
pub static SEED_PARAM: ParamSpec = ParamSpec::new(
    "seed",
    ParamType::int(0, i64::MAX),
    "0",
    "Mixed with the pipeline seed and the stage name to derive this stage's random seed.",
);

/// The parameter every stage accepts to be run N times with seeds 1..N: `replicates = 5` is
/// `seed = sweep(1, 2, 3, 4, 5)`, the same instances, names (`fit[seed=3]`) and keys.
pub static REPLICATES_PARAM: ParamSpec = ParamSpec::new(
    "replicates",
    ParamType::int(1, 10_000),
    "1",
    "Runs the stage once per seed 1..N (a sweep of `seed`), for statistics across replicates with `summary` and `paired`.",
);

/// Resources of SLURM jobs, in SLURM's own formats; empty or 0 leaves the cluster's default.
static SLURM_SETTINGS: &[ParamSpec] = &[
    ParamSpec::new("partition", ParamType::Str, "\"\"", "The partition (`--partition`)."),
    ParamSpec::new(
        "account",
        ParamType::Str,
        "\"\"",
        "The account to charge (`--account`).",
    ),
    ParamSpec::new(
        "time",
        ParamType::Str,
        "\"\"",
        "The time limit, as SLURM writes it: \"30\", \"2:00:00\" (`--time`).",
    ),
    ParamSpec::new(
        "memory",
        ParamType::Str,
        "\"\"",
        "Memory per job, as SLURM writes it: \"4G\" (`--mem`).",
    ),
    ParamSpec::new(
        "cpus",
        ParamType::int(0, 4096),
        "0",
        "CPUs per job (`--cpus-per-task`).",
    ),
    ParamSpec::new("gpus", ParamType::int(0, 64), "0", "GPUs per job (`--gpus`)."),
];

/// SLURM resources: in the pipeline header for every job, on a stage to override them for its
/// jobs. They change where a stage runs, not what it computes, so they are not part of its key.
pub static SLURM_PARAM: ParamSpec = ParamSpec::new(
    "slurm",
    ParamType::Block(SLURM_SETTINGS),
    "{}",
    "SLURM job resources (partition, account, time, memory, cpus, gpus); not part of the cache key.",
);

/// A reference awaiting coordinate resolution.
#[derive(Debug, Clone)]
pub struct PendingInput {
    pub target: usize,
    pub selector: Option<ast::Selector>,
    pub span: Span,
    pub many: bool,
}

/// A declaration after resolution, before its coordinates are known.
pub struct Resolved {
    pub op: Option<Operator>,
    pub params: BTreeMap<String, Slot>,
    pub inputs: BTreeMap<String, PendingInput>,
    pub terms: Vec<CheckedTerm>,
    /// Coordinates this declaration sweeps itself.
    pub own: Vec<usize>,
}

/// What resolution needs to know about the other declarations.
pub struct Scope<'a> {
    pub names: &'a HashMap<String, usize>,
    pub kinds: &'a [DeclKind],
    pub base: PathBase<'a>,
}

pub fn resolve(
    decl: &Declaration,
    scope: &Scope,
    coordinates: &mut Vec<Coordinate>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Resolved> {
    let src = decl.span.source;
    let mut out = Resolved {
        op: None,
        params: BTreeMap::new(),
        inputs: BTreeMap::new(),
        terms: Vec::new(),
        own: Vec::new(),
    };
    let before = errors.len();
    match &decl.body {
        DeclBody::Call(call) if decl.kind == DeclKind::Loss => {
            let term = ast::LossTerm {
                sign: 1.0,
                weight: None,
                call: call.clone(),
                span: call.span,
            };
            let expr = ast::LossExpr {
                terms: vec![term],
                span: call.span,
            };
            resolve_loss(decl, &expr, scope, coordinates, &mut out, errors);
        }
        DeclBody::Loss(expr) if decl.kind == DeclKind::Loss => {
            resolve_loss(decl, expr, scope, coordinates, &mut out, errors)
        }
        DeclBody::Loss(expr) => errors.push(Diagnostic::check(
            src,
            CheckError::NotALoss {
                at: expr.span.miette(),
                kind: decl.kind.to_string(),
            },
        )),
        DeclBody::Task(body) if decl.kind == DeclKind::Task => {
            resolve_task_body(decl, body, scope, coordinates, &mut out, errors)
        }
        DeclBody::Task(body) => errors.push(Diagnostic::check(
            src,
            CheckError::Task {
                message: format!("a `{}` declaration cannot have a task body", decl.kind),
                at: body.span.miette(),
                label: "a task body".into(),
                help: Some("only `task NAME = { ... }` is written this way; other kinds call an operator".into()),
            },
        )),
        DeclBody::Call(call) if call.op.name == ops::tasks::declared::NAME => errors.push(Diagnostic::check(
            src,
            CheckError::Task {
                message: format!("`{}` is not called by name", call.op.name),
                at: call.op.span.miette(),
                label: "the operator of tasks written in the language".into(),
                help: Some(
                    "write the task itself: `task NAME = { dt = 20 ms  epoch ...  input ...  target ... }`".into(),
                ),
            },
        )),
        DeclBody::Call(call) => {
            if let Some(op) = find_operator(&call.op, decl.kind, errors) {
                out.op = Some(op);
                let schema = op.schema();
                let (params, inputs) = split_arguments(call, schema, decl.kind, errors);
                out.params = resolve_params(
                    decl,
                    call,
                    schema,
                    decl.kind.is_stage(),
                    &params,
                    scope,
                    coordinates,
                    &mut out.own,
                    errors,
                );
                out.inputs = resolve_inputs(decl, call, schema, &inputs, scope, errors);
            }
        }
    }
    (errors.len() == before).then_some(out)
}

/// A task written in the language: its settings are the `declared` operator's parameters (so they
/// take sweeps and overrides like any), and its checked body becomes the `spec` parameter.
fn resolve_task_body(
    decl: &Declaration,
    body: &ast::TaskBody,
    scope: &Scope,
    coordinates: &mut Vec<Coordinate>,
    out: &mut Resolved,
    errors: &mut Vec<Diagnostic>,
) {
    let Some(op) = ops::lookup(ops::tasks::declared::NAME) else {
        return;
    };
    out.op = Some(op);
    let call = Call {
        op: ast::Ident {
            name: ops::tasks::declared::NAME.into(),
            span: decl.name.span,
        },
        args: Vec::new(),
        block: Some(body.settings.clone()),
        span: body.span,
    };
    let given: Vec<(&ast::Ident, &ast::Value)> = body.settings.entries.iter().map(|e| (&e.key, &e.value)).collect();
    out.params = resolve_params(
        decl,
        &call,
        op.schema(),
        false,
        &given,
        scope,
        coordinates,
        &mut out.own,
        errors,
    );
    if let Some(spec) = super::task_body::check_task_body(body, errors) {
        match serde_json::to_string(&spec) {
            Ok(text) => {
                out.params.insert(
                    ops::tasks::declared::SPEC_PARAM.into(),
                    Slot::Fixed(crate::value::Value::Str(text)),
                );
            }
            Err(e) => errors.push(Diagnostic::check(
                decl.span.source,
                CheckError::Task {
                    message: format!("internal error: the task's checked form does not serialise: {e}"),
                    at: body.span.miette(),
                    label: "this task".into(),
                    help: None,
                },
            )),
        }
    }
}

fn find_operator(name: &ast::Ident, kind: DeclKind, errors: &mut Vec<Diagnostic>) -> Option<Operator> {
    let src = name.span.source;
    match ops::lookup(&name.name) {
        None => {
            let same_kind = ops::operators()
                .iter()
                .filter(|o| o.schema().kinds.contains(&kind))
                .map(|o| o.schema().name);
            let help = did_you_mean(&name.name, same_kind).or_else(|| {
                let own = if kind == DeclKind::Task {
                    "; or write your own: `task NAME = { dt = ..  epoch ..  input ..  target .. }`"
                } else {
                    ""
                };
                Some(format!(
                    "`rnx ops` lists the operators; {kind} operators: {}{own}",
                    ops_of_kind(kind)
                ))
            });
            errors.push(Diagnostic::check(
                src,
                CheckError::UnknownOperator {
                    name: name.name.clone(),
                    at: name.span.miette(),
                    kind: kind.to_string(),
                    help,
                },
            ));
            None
        }
        Some(op) if !op.schema().kinds.contains(&kind) => {
            let allowed = op
                .schema()
                .kinds
                .iter()
                .map(|k| k.keyword())
                .collect::<Vec<_>>()
                .join("/");
            errors.push(Diagnostic::check(
                src,
                CheckError::OperatorKind {
                    op: name.name.clone(),
                    kind: kind.to_string(),
                    at: name.span.miette(),
                    allowed: allowed.clone(),
                    help: Some(format!(
                        "declare it as `{allowed} ...`; {kind} operators: {}",
                        ops_of_kind(kind)
                    )),
                },
            ));
            None
        }
        Some(op) => Some(op),
    }
}

fn ops_of_kind(kind: DeclKind) -> String {
    let names: Vec<&str> = ops::operators()
        .iter()
        .filter(|o| o.schema().kinds.contains(&kind))
        .map(|o| o.schema().name)
        .filter(|name| *name != ops::tasks::declared::NAME)
        .collect();
    if names.is_empty() {
        "none yet".into()
    } else {
        names.join(", ")
    }
}

/// A call's parameters (name and value) and inputs (spec and value).
type SplitArguments<'c> = (
    Vec<(&'c ast::Ident, &'c ast::Value)>,
    Vec<(&'static InputSpec, &'c ast::Value)>,
);

/// Sorts a call's arguments and block entries into parameters and inputs.
fn split_arguments<'c>(
    call: &'c Call,
    schema: &OpSchema,
    kind: DeclKind,
    errors: &mut Vec<Diagnostic>,
) -> SplitArguments<'c> {
    let mut params = Vec::new();
    let mut inputs: Vec<(&'static InputSpec, &ast::Value)> = Vec::new();
    let mut positional = 0;
    let inputs_spec: &'static [InputSpec] = schema.inputs;
    for arg in &call.args {
        match arg {
            Arg::Positional(value) => {
                match inputs_spec.get(positional) {
                    Some(spec) => inputs.push((spec, value)),
                    None => {
                        let help = if inputs_spec.is_empty() {
                            Some(format!(
                                "`{}` takes no inputs; parameters go in `{{ ... }}`",
                                schema.name
                            ))
                        } else {
                            Some(format!(
                                "its inputs are: {}",
                                inputs_spec.iter().map(|i| i.name).collect::<Vec<_>>().join(", ")
                            ))
                        };
                        errors.push(Diagnostic::check(
                            value.span.source,
                            CheckError::TooManyArguments {
                                op: schema.name.into(),
                                max: inputs_spec.len(),
                                at: value.span.miette(),
                                help,
                            },
                        ));
                    }
                }
                positional += 1;
            }
            Arg::Named(key, value) => match schema.input(&key.name) {
                Some(spec) => inputs.push((input_static(schema, spec), value)),
                None => params.push((key, value)),
            },
        }
    }
    if let Some(block) = &call.block {
        for entry in &block.entries {
            match schema.input(&entry.key.name) {
                Some(spec) => inputs.push((input_static(schema, spec), &entry.value)),
                None => params.push((&entry.key, &entry.value)),
            }
        }
    }
    let _ = kind;
    (params, inputs)
}

fn input_static(schema: &OpSchema, spec: &InputSpec) -> &'static InputSpec {
    let inputs: &'static [InputSpec] = schema.inputs;
    inputs.iter().find(|i| i.name == spec.name).unwrap_or(&inputs[0])
}

#[allow(clippy::too_many_arguments)]
fn resolve_params(
    decl: &Declaration,
    call: &Call,
    schema: &OpSchema,
    is_stage: bool,
    given: &[(&ast::Ident, &ast::Value)],
    scope: &Scope,
    coordinates: &mut Vec<Coordinate>,
    own: &mut Vec<usize>,
    errors: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Slot> {
    let mut slots = BTreeMap::new();
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for (key, value) in given {
        if let Some(first) = seen.insert(key.name.as_str(), key.span) {
            errors.push(Diagnostic::check(
                key.span.source,
                CheckError::DuplicateParameter {
                    name: key.name.clone(),
                    at: key.span.miette(),
                    first: first.miette(),
                },
            ));
            continue;
        }
        if is_stage && key.name == REPLICATES_PARAM.name && schema.param(&key.name).is_none() {
            if let Some(slot) = replicates_slot(&decl.name.name, value, scope, coordinates, own, errors) {
                slots.insert(SEED_PARAM.name.to_string(), slot);
            }
            continue;
        }
        let spec = match schema.param(&key.name) {
            Some(spec) => spec,
            None if is_stage && key.name == SEED_PARAM.name => &SEED_PARAM,
            None if is_stage && key.name == SLURM_PARAM.name => &SLURM_PARAM,
            None => {
                let mut names: Vec<&str> = schema.params.iter().map(|p| p.name).collect();
                names.extend(schema.inputs.iter().map(|i| i.name));
                let help = did_you_mean(&key.name, names.iter().copied()).or_else(|| {
                    Some(if names.is_empty() {
                        format!("`{}` takes no parameters", schema.name)
                    } else {
                        format!("`{}` takes: {}", schema.name, names.join(", "))
                    })
                });
                errors.push(Diagnostic::check(
                    key.span.source,
                    CheckError::UnknownParameter {
                        op: schema.name.into(),
                        name: key.name.clone(),
                        at: key.span.miette(),
                        help,
                    },
                ));
                continue;
            }
        };
        if let Some(slot) = value_slot(
            &decl.name.name,
            spec.name,
            &spec.ty,
            value,
            scope,
            coordinates,
            own,
            errors,
        ) {
            slots.insert(spec.name.to_string(), slot);
        }
    }
    if let (Some(_), Some(replicates)) = (seen.get(SEED_PARAM.name), seen.get(REPLICATES_PARAM.name))
        && schema.param(REPLICATES_PARAM.name).is_none()
    {
        errors.push(Diagnostic::check(
            replicates.source,
            CheckError::BadSweep {
                message: "`replicates` and `seed` both set".into(),
                at: replicates.miette(),
                help: Some("`replicates = N` is `seed = sweep(1, ..., N)`; keep one of them".into()),
            },
        ));
    }
    let mut specs: Vec<&ParamSpec> = schema.params.iter().collect();
    if is_stage && schema.param(SEED_PARAM.name).is_none() {
        specs.push(&SEED_PARAM);
    }
    for spec in specs {
        // Given, or (for `seed`) set by `replicates`.
        if seen.contains_key(spec.name) || slots.contains_key(spec.name) {
            continue;
        }
        match default_value(spec) {
            Some(Ok(v)) => {
                slots.insert(spec.name.to_string(), Slot::Fixed(v));
            }
            Some(Err(e)) => errors.push(Diagnostic::check(decl.span.source, e)),
            None => errors.push(Diagnostic::check(
                call.span.source,
                CheckError::MissingParameter {
                    op: schema.name.into(),
                    name: spec.name.into(),
                    at: call.op.span.miette(),
                    help: format!("add `{} = ...`, {}: {}", spec.name, spec.ty, spec.doc),
                },
            )),
        }
    }
    slots
}

/// `replicates = N`: a sweep of `seed` over 1..N.
fn replicates_slot(
    origin: &str,
    value: &ast::Value,
    scope: &Scope,
    coordinates: &mut Vec<Coordinate>,
    own: &mut Vec<usize>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Slot> {
    let n = match check_value(REPLICATES_PARAM.name, &REPLICATES_PARAM.ty, value, &scope.base) {
        Ok(crate::value::Value::Int(n)) => n,
        Ok(_) => return None,
        Err(es) => {
            errors.extend(es.into_iter().map(|e| Diagnostic::check(value.span.source, e)));
            return None;
        }
    };
    if own.iter().any(|&c| coordinates[c].name == SEED_PARAM.name) {
        return None;
    }
    coordinates.push(Coordinate {
        name: SEED_PARAM.name.to_string(),
        origin: origin.to_string(),
        values: (1..=n).map(crate::value::Value::Int).collect(),
        ty: SEED_PARAM.ty,
        span: value.span,
    });
    own.push(coordinates.len() - 1);
    Some(Slot::Swept(coordinates.len() - 1))
}

/// A parameter value, or a sweep over values (which becomes one of the declaration's coordinates).
#[allow(clippy::too_many_arguments)]
fn value_slot(
    origin: &str,
    coord_name: &str,
    ty: &ParamType,
    value: &ast::Value,
    scope: &Scope,
    coordinates: &mut Vec<Coordinate>,
    own: &mut Vec<usize>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Slot> {
    let src = value.span.source;
    if let ValueKind::Sweep(items) = &value.kind {
        let mut values: Vec<crate::value::Value> = Vec::new();
        let mut ok = true;
        for item in items {
            match check_value(coord_name, ty, item, &scope.base) {
                Ok(v) if values.contains(&v) => {
                    ok = false;
                    errors.push(Diagnostic::check(
                        item.span.source,
                        CheckError::BadSweep {
                            message: format!("`{v}` appears twice"),
                            at: item.span.miette(),
                            help: Some("each member of a sweep must be different".into()),
                        },
                    ));
                }
                Ok(v) => values.push(v),
                Err(es) => {
                    ok = false;
                    errors.extend(es.into_iter().map(|e| Diagnostic::check(item.span.source, e)));
                }
            }
        }
        if !ok {
            return None;
        }
        if own.iter().any(|&c| coordinates[c].name == coord_name) {
            errors.push(Diagnostic::check(
                src,
                CheckError::BadSweep {
                    message: format!("`{coord_name}` is swept twice in one declaration"),
                    at: value.span.miette(),
                    help: Some(format!(
                        "two sweeps named `{coord_name}` would give ambiguous instance names; keep one"
                    )),
                },
            ));
            return None;
        }
        coordinates.push(Coordinate {
            name: coord_name.to_string(),
            origin: origin.to_string(),
            values,
            ty: *ty,
            span: value.span,
        });
        own.push(coordinates.len() - 1);
        return Some(Slot::Swept(coordinates.len() - 1));
    }
    match check_value(coord_name, ty, value, &scope.base) {
        Ok(v) => Some(Slot::Fixed(v)),
        Err(es) => {
            errors.extend(es.into_iter().map(|e| Diagnostic::check(src, e)));
            None
        }
    }
}

fn resolve_inputs(
    decl: &Declaration,
    call: &Call,
    schema: &OpSchema,
    given: &[(&'static InputSpec, &ast::Value)],
    scope: &Scope,
    errors: &mut Vec<Diagnostic>,
) -> BTreeMap<String, PendingInput> {
    let mut out = BTreeMap::new();
    // An input that takes many instances may also be given a list of references,
    // `compare([a, b, c])`: each becomes its own entry `name#k`, merged again by the planner.
    let mut expanded: Vec<(&'static InputSpec, &ast::Value, String)> = Vec::new();
    for (spec, value) in given {
        match &value.kind {
            ValueKind::List(items) if spec.many && !items.is_empty() => {
                for (k, item) in items.iter().enumerate() {
                    expanded.push((spec, item, list_member_key(spec.name, k)));
                }
            }
            _ => expanded.push((spec, value, spec.name.to_string())),
        }
    }
    for (spec, value, key) in expanded {
        let src = value.span.source;
        if out.contains_key(spec.name) || (key != spec.name && out.contains_key(&key)) {
            errors.push(Diagnostic::check(
                src,
                CheckError::DuplicateParameter {
                    name: spec.name.into(),
                    at: value.span.miette(),
                    first: out
                        .get(spec.name)
                        .map_or(value.span, |p: &PendingInput| p.span)
                        .miette(),
                },
            ));
            continue;
        }
        let reference = match &value.kind {
            ValueKind::Reference(r) => r,
            other => {
                errors.push(Diagnostic::check(
                    src,
                    CheckError::WrongType {
                        name: spec.name.into(),
                        expected: format!("a reference to a {}", kinds_text(spec.accepts)),
                        found: other.describe().into(),
                        at: value.span.miette(),
                        help: Some("inputs name another declaration, for example `wm` or `fit[*]`".into()),
                    },
                ));
                continue;
            }
        };
        let Some(&target) = scope.names.get(&reference.name.name) else {
            errors.push(Diagnostic::check(
                src,
                CheckError::UnknownReference {
                    name: reference.name.name.clone(),
                    at: reference.name.span.miette(),
                    help: did_you_mean(&reference.name.name, scope.names.keys().map(|s| s.as_str())),
                },
            ));
            continue;
        };
        let target_kind = scope.kinds[target];
        if !spec.accepts.contains(&target_kind) {
            errors.push(Diagnostic::check(
                src,
                CheckError::ReferenceKind {
                    op: schema.name.into(),
                    input: spec.name.into(),
                    name: reference.name.name.clone(),
                    expected: kinds_text(spec.accepts),
                    found: target_kind.to_string(),
                    at: reference.name.span.miette(),
                },
            ));
            continue;
        }
        if !decl.kind.is_stage() && target_kind.is_stage() {
            errors.push(Diagnostic::check(
                src,
                CheckError::DefinitionUsesStage {
                    name: decl.name.name.clone(),
                    target: reference.name.name.clone(),
                    at: reference.name.span.miette(),
                    kind: target_kind.to_string(),
                },
            ));
            continue;
        }
        out.insert(
            key,
            PendingInput {
                target,
                selector: reference.selector.clone(),
                span: value.span,
                many: spec.many,
            },
        );
    }
    for spec in schema.inputs {
        let bound = out.contains_key(spec.name) || out.contains_key(&list_member_key(spec.name, 0));
        if spec.required && !bound && !given.iter().any(|(s, _)| s.name == spec.name) {
            errors.push(Diagnostic::check(
                call.span.source,
                CheckError::MissingInput {
                    op: schema.name.into(),
                    input: spec.name.into(),
                    at: call.op.span.miette(),
                    help: format!(
                        "pass a {} as `{}(...)`: {}",
                        kinds_text(spec.accepts),
                        schema.name,
                        spec.doc
                    ),
                },
            ));
        }
    }
    out
}

fn kinds_text(kinds: &[DeclKind]) -> String {
    let words: Vec<String> = kinds.iter().map(|k| format!("`{k}`")).collect();
    match words.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn resolve_loss(
    decl: &Declaration,
    expr: &ast::LossExpr,
    scope: &Scope,
    coordinates: &mut Vec<Coordinate>,
    out: &mut Resolved,
    errors: &mut Vec<Diagnostic>,
) {
    const WEIGHT: ParamType = ParamType::Float {
        min: f64::NEG_INFINITY,
        max: f64::INFINITY,
    };
    for term in &expr.terms {
        let Some(op) = find_operator(&term.call.op, DeclKind::Loss, errors) else {
            continue;
        };
        let schema = op.schema();
        let (params, inputs) = split_arguments(&term.call, schema, DeclKind::Loss, errors);
        for (spec, value) in inputs {
            errors.push(Diagnostic::check(
                value.span.source,
                CheckError::TooManyArguments {
                    op: schema.name.into(),
                    max: 0,
                    at: value.span.miette(),
                    help: Some(spec.doc.into()),
                },
            ));
        }
        let params = resolve_params(
            decl,
            &term.call,
            schema,
            false,
            &params,
            scope,
            coordinates,
            &mut out.own,
            errors,
        );
        let weight = match &term.weight {
            None => Some(Slot::Fixed(crate::value::Value::Float(term.sign))),
            Some(w) => {
                let signed = negate_if(w, term.sign);
                value_slot(
                    &decl.name.name,
                    schema.name,
                    &WEIGHT,
                    &signed,
                    scope,
                    coordinates,
                    &mut out.own,
                    errors,
                )
            }
        };
        if let Some(weight) = weight {
            out.terms.push(CheckedTerm {
                op,
                weight,
                params,
                span: term.span,
            });
        }
    }
}

/// Applies a minus sign in front of a term to its weight literal(s).
fn negate_if(value: &ast::Value, sign: f64) -> ast::Value {
    if sign > 0.0 {
        return value.clone();
    }
    let mut v = value.clone();
    match &mut v.kind {
        ValueKind::Number { value, integer } => {
            *value = -*value;
            *integer = integer.map(|i| -i);
        }
        ValueKind::Sweep(items) => {
            for item in items.iter_mut() {
                *item = negate_if(item, sign);
            }
        }
        _ => {}
    }
    v
}

/// The entry of the `k`th reference in a list given to a many-instance input.
pub fn list_member_key(input: &str, k: usize) -> String {
    format!("{input}#{k:04}")
}

/// The input a list-member entry belongs to (`stages#0001` -> `stages`), or `None` for a plain entry.
pub fn list_member_of(key: &str) -> Option<&str> {
    key.split_once('#').map(|(name, _)| name)
}
