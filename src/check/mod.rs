//! Checking: names, operators, parameter types and units, references, sweeps and cycles.
//!
//! Pure: takes parsed modules, returns a checked `Pipeline` or every error found, in one pass.

mod checked;
mod coords;
pub mod diagnostic;
mod error;
mod names;
mod overrides;
mod param_spans;
mod resolve;
mod task_body;
mod task_expr;
mod task_strings;
mod types;

pub use resolve::list_member_of;

pub use checked::{CheckedDecl, CheckedTerm, CoordId, Coordinate, DeclId, InputRef, Pipeline, Slot};
pub use error::CheckError;
pub use names::{closest, did_you_mean};
pub use resolve::{REPLICATES_PARAM, SEED_PARAM};
pub use types::default_value;

use crate::ast::{Declaration, Item, Module, Override, PipelineHeader};
use crate::check::diagnostic::Diagnostic;
use crate::schema::{DeclKind, ParamSpec, ParamType};
use crate::source::{SourceId, Sources};
use crate::value::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Settings of the pipeline header.
static HEADER_PARAMS: &[ParamSpec] = &[
    ParamSpec::new(
        "seed",
        ParamType::int(0, i64::MAX),
        "0",
        "The pipeline's root seed; every stage derives its own from it.",
    ),
    ParamSpec::new(
        "device",
        ParamType::Enum(&["auto", "cpu", "cuda"]),
        "auto",
        "Where neural stages run: auto picks cuda when this build has it and a GPU answers, else cpu.",
    ),
    ParamSpec::new(
        "executor",
        ParamType::Enum(&["local", "slurm"]),
        "local",
        "Where stages run: local (this machine's cores) or slurm (jobs submitted with sbatch; `--executor` overrides).",
    ),
    resolve::SLURM_PARAM,
];

/// What the user asked for beyond the file: a profile and `--set` overrides.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub profile: Option<String>,
    /// Applied after the profile, in order.
    pub overrides: Vec<Override>,
}

/// Checks a pipeline: `modules[0]` is the main file, the rest are files it `use`s.
pub fn check(sources: &Sources, modules: &[Module], options: &CheckOptions) -> Result<Pipeline, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let main_source = modules.first().map(|m| m.source);

    // Collect declarations, the header and profiles from every module.
    let mut header: Option<PipelineHeader> = None;
    let mut decls: Vec<(SourceId, Declaration)> = Vec::new();
    let mut profiles: Vec<&crate::ast::Profile> = Vec::new();
    for module in modules {
        for item in &module.items {
            match item {
                Item::Pipeline(h) => {
                    if header.is_some() || Some(module.source) != main_source {
                        errors.push(Diagnostic::check(
                            module.source,
                            CheckError::DuplicateHeader { at: h.span.miette() },
                        ));
                    } else {
                        header = Some(h.clone());
                    }
                }
                Item::Declaration(d) => decls.push((module.source, d.clone())),
                Item::Profile(p) => profiles.push(p),
                Item::Use(_) => {}
            }
        }
    }

    let mut index: HashMap<String, usize> = HashMap::with_capacity(decls.len());
    let mut keep = vec![true; decls.len()];
    for (i, (src, d)) in decls.iter().enumerate() {
        if let Some(&first) = index.get(&d.name.name) {
            let first_span = decls[first].1.name.span;
            let same_file = first_span.source == *src;
            errors.push(Diagnostic::check(
                *src,
                CheckError::DuplicateDeclaration {
                    name: d.name.name.clone(),
                    at: d.name.span.miette(),
                    first: same_file.then(|| first_span.miette()),
                    help: (!same_file).then(|| {
                        format!(
                            "`{}` is also declared in {}",
                            d.name.name,
                            sources.get(first_span.source).name
                        )
                    }),
                },
            ));
            keep[i] = false;
        } else {
            index.insert(d.name.name.clone(), i);
        }
    }

    // Overrides: the profile first, then `--set`, so the command line wins.
    if let Some(name) = &options.profile {
        match profiles.iter().find(|p| p.name.name == *name) {
            Some(p) => {
                for ov in &p.overrides {
                    if let Err(e) = overrides::apply(ov, &mut decls, &index, &mut header) {
                        errors.push(*e);
                    }
                }
            }
            None => {
                let names: Vec<&str> = profiles.iter().map(|p| p.name.name.as_str()).collect();
                let help = match did_you_mean(name, names.iter().copied()) {
                    Some(h) => h,
                    None if names.is_empty() => "this file defines no profiles".into(),
                    None => format!("profiles here: {}", names.join(", ")),
                };
                errors.push(Diagnostic::check(
                    main_source.unwrap_or(SourceId(0)),
                    CheckError::UnknownProfile {
                        name: name.clone(),
                        at: header.as_ref().map(|h| h.name.span.miette()),
                        help,
                    },
                ));
            }
        }
    }
    for ov in &options.overrides {
        if let Err(e) = overrides::apply(ov, &mut decls, &index, &mut header) {
            errors.push(*e);
        }
    }

    // The header's settings.
    let main_dir = main_source
        .and_then(|s| sources.get(s).path.as_deref())
        .and_then(Path::parent)
        .map(Path::to_path_buf);
    let Header {
        name,
        seed,
        device,
        executor,
        slurm,
    } = header_settings(header.as_ref(), sources, main_source, &mut errors);

    // Resolve every declaration.
    let kinds: Vec<DeclKind> = decls.iter().map(|(_, d)| d.kind).collect();
    let mut coordinates = Vec::new();
    let mut resolved = Vec::with_capacity(decls.len());
    for (i, (src, decl)) in decls.iter().enumerate() {
        let dir = sources
            .get(*src)
            .path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .or_else(|| main_dir.clone());
        let dir = dir.unwrap_or_else(|| PathBuf::from("."));
        let scope = resolve::Scope {
            names: &index,
            kinds: &kinds,
            base: types::PathBase { dir: &dir },
        };
        let r = if keep[i] {
            resolve::resolve(decl, &scope, &mut coordinates, &mut errors)
        } else {
            None
        };
        resolved.push(r);
    }
    task_strings::check(&decls, &resolved, &coordinates, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let resolved: Vec<resolve::Resolved> = resolved.into_iter().flatten().collect();

    let names: Vec<String> = decls.iter().map(|(_, d)| d.name.name.clone()).collect();
    let spans: Vec<_> = decls.iter().map(|(_, d)| d.name.span).collect();
    let pending: Vec<_> = resolved.iter().map(|r| r.inputs.clone()).collect();
    let order = coords::dependency_order(&names, &spans, &pending)?;
    let own: Vec<Vec<usize>> = resolved.iter().map(|r| r.own.clone()).collect();
    let (coord_sets, inputs) = coords::resolve_coordinates(&order, &names, &own, &pending, &coordinates, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }

    let checked = resolved
        .into_iter()
        .zip(decls)
        .zip(coord_sets.into_iter().zip(inputs))
        .map(|((r, (_, d)), (coords, inputs))| CheckedDecl {
            name: d.name.name.clone(),
            kind: d.kind,
            op: r.op,
            params: r.params,
            inputs,
            terms: r.terms,
            coords,
            span: d.span,
            name_span: d.name.span,
            param_spans: param_spans::param_spans(&d),
        })
        .collect();
    Ok(Pipeline {
        name,
        seed,
        device,
        executor,
        slurm,
        sources: sources.clone(),
        decls: checked,
        order,
        coordinates,
        profile: options.profile.clone(),
    })
}

/// The pipeline header's settings.
struct Header {
    name: String,
    seed: u64,
    device: String,
    executor: String,
    slurm: std::collections::BTreeMap<String, Value>,
}

fn header_settings(
    header: Option<&PipelineHeader>,
    sources: &Sources,
    main: Option<SourceId>,
    errors: &mut Vec<Diagnostic>,
) -> Header {
    let fallback_name = main
        .and_then(|s| sources.get(s).path.as_deref())
        .and_then(|p| p.file_stem())
        .map_or_else(|| "pipeline".to_string(), |s| s.to_string_lossy().into_owned());
    let defaults = |name: String| Header {
        name,
        seed: 0,
        device: "auto".into(),
        executor: "local".into(),
        slurm: Default::default(),
    };
    let Some(h) = header else {
        return defaults(fallback_name);
    };
    let block = crate::ast::Value {
        kind: crate::ast::ValueKind::Block(h.settings.clone()),
        span: h.settings.span,
    };
    let ty = ParamType::Block(HEADER_PARAMS);
    let base = types::PathBase { dir: Path::new("") };
    match types::check_value("pipeline", &ty, &block, &base) {
        Ok(Value::Block(mut map)) => {
            let seed = match map.get("seed") {
                Some(Value::Int(i)) => *i as u64,
                _ => 0,
            };
            let text = |v: Option<&Value>, default: &str| match v {
                Some(Value::Enum(d)) => d.clone(),
                _ => default.into(),
            };
            let device = text(map.get("device"), "auto");
            let executor = text(map.get("executor"), "local");
            let slurm = match map.remove("slurm") {
                Some(Value::Block(b)) => b,
                _ => Default::default(),
            };
            Header {
                name: h.name.name.clone(),
                seed,
                device,
                executor,
                slurm,
            }
        }
        Ok(_) => defaults(h.name.name.clone()),
        Err(es) => {
            errors.extend(es.into_iter().map(|e| Diagnostic::check(h.span.source, e)));
            defaults(h.name.name.clone())
        }
    }
}
