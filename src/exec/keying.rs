//! Computing a stage instance's cache key from its operator, parameters, definitions, input
//! content hashes, seed and device class.

use crate::cache::{KeyInputs, StageKey, hash_file};
use crate::ops::Definition;
use crate::plan::{Instance, PlannedInput};
use crate::schema::ParamType;
use crate::value::{Value, hash_str};
use std::collections::BTreeMap;

/// Version of the key encoding below; changing the encoding must change this.
const KEY_ENCODING: &[u8] = b"rnx-key-v1";

/// Everything but the upstream outputs is known before running; those arrive as content hashes.
pub fn compute_key(
    inst: &Instance,
    upstream: &super::status::Upstream,
    device: &str,
) -> Result<(StageKey, KeyInputs), String> {
    let schema = inst.op.schema();
    let device = if inst.op.uses_device() { device } else { "cpu" };
    let mut h = blake3::Hasher::new();
    h.update(KEY_ENCODING);
    hash_str(&mut h, schema.name);
    h.update(&schema.version.to_le_bytes());
    let mut ki = KeyInputs {
        op: schema.name.into(),
        op_version: schema.version,
        seed: inst.seed,
        device: device.into(),
        ..Default::default()
    };

    h.update(b"params");
    for (name, value) in inst.params.iter() {
        hash_str(&mut h, name);
        let ty = schema.param(name).map(|p| p.ty);
        match (ty, value) {
            (Some(ParamType::Path), Value::Str(path)) => {
                let digest = file_digest(path)?;
                h.update(b"file");
                hash_str(&mut h, &digest);
                ki.files.insert(name.clone(), digest);
            }
            (Some(ParamType::List(ParamType::Path)), Value::List(items)) => {
                h.update(b"files");
                h.update(&(items.len() as u64).to_le_bytes());
                for (i, item) in items.iter().enumerate() {
                    let Value::Str(path) = item else {
                        return Err(format!("`{name}` holds a non-path value {item}"));
                    };
                    let digest = file_digest(path)?;
                    hash_str(&mut h, &digest);
                    ki.files.insert(format!("{name}[{i}]"), digest);
                }
            }
            _ => {
                value.hash_into(&mut h);
                ki.params.insert(name.clone(), value.to_string());
            }
        }
    }
    // Operators without extra material add nothing, so their keys are as before.
    for (label, value) in inst.op.key_material(&inst.params)? {
        h.update(b"material");
        hash_str(&mut h, &label);
        hash_str(&mut h, &value);
        ki.params.insert(label, Value::Str(value).to_string());
    }

    h.update(b"inputs");
    for (name, input) in &inst.inputs {
        hash_str(&mut h, name);
        match input {
            PlannedInput::Definition(def) => {
                h.update(b"def");
                hash_definition(&mut h, def, name, &mut ki.files)?;
                flatten_definition(name, def, &mut ki.params);
            }
            PlannedInput::Stages(_) => {
                h.update(b"stages");
                let members = upstream.get(name).map(Vec::as_slice).unwrap_or(&[]);
                h.update(&(members.len() as u64).to_le_bytes());
                for (_, content) in members {
                    hash_str(&mut h, content);
                }
                ki.inputs
                    .insert(name.clone(), members.iter().map(|(_, c)| c.clone()).collect());
                ki.input_stages
                    .insert(name.clone(), members.iter().map(|(s, _)| s.clone()).collect());
            }
        }
    }
    h.update(&inst.seed.to_le_bytes());
    hash_str(&mut h, device);
    Ok((StageKey(*h.finalize().as_bytes()), ki))
}

fn file_digest(path: &str) -> Result<String, String> {
    hash_file(std::path::Path::new(path)).map_err(|e| format!("cannot read `{path}`: {e}"))
}

/// Hashes a definition. Its path parameters (a `trial_table` task's file) are hashed by the
/// file's content, as a stage's are, and recorded in `files` as `prefix.param`.
fn hash_definition(
    h: &mut blake3::Hasher,
    def: &Definition,
    prefix: &str,
    files: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    hash_str(h, &def.op);
    h.update(&(def.params.iter().count() as u64).to_le_bytes());
    for (k, v) in def.params.iter() {
        hash_str(h, k);
        match (is_path_param(&def.op, k), v) {
            (true, Value::Str(path)) => {
                let digest = file_digest(path)?;
                h.update(b"file");
                hash_str(h, &digest);
                files.insert(format!("{prefix}.{k}"), digest);
            }
            _ => v.hash_into(h),
        }
    }
    h.update(&(def.terms.len() as u64).to_le_bytes());
    for (i, (weight, term)) in def.terms.iter().enumerate() {
        Value::Float(*weight).hash_into(h);
        hash_definition(h, term, &format!("{prefix}.{}", term_label(def, i)), files)?;
    }
    h.update(&(def.refs.len() as u64).to_le_bytes());
    for (k, r) in &def.refs {
        hash_str(h, k);
        hash_definition(h, r, &format!("{prefix}.{k}"), files)?;
    }
    Ok(())
}

/// Whether parameter `param` of definition operator `op` is a file path.
fn is_path_param(op: &str, param: &str) -> bool {
    crate::ops::lookup(op)
        .and_then(|o| o.schema().param(param))
        .is_some_and(|p| matches!(p.ty, ParamType::Path))
}

/// Records a definition's parameters as `prefix.param`, for explanations.
fn flatten_definition(prefix: &str, def: &Definition, out: &mut BTreeMap<String, String>) {
    out.insert(prefix.to_string(), def.op.clone());
    // Path parameters are recorded by their file's content hash (in `files`), not their name.
    for (k, v) in def.params.iter().filter(|(k, _)| !is_path_param(&def.op, k)) {
        out.insert(format!("{prefix}.{k}"), v.to_string());
    }
    for (i, (weight, term)) in def.terms.iter().enumerate() {
        let term_prefix = format!("{prefix}.{}", term_label(def, i));
        out.insert(format!("{term_prefix}.weight"), crate::value::format_float(*weight));
        flatten_definition(&term_prefix, term, out);
    }
    for (k, r) in &def.refs {
        flatten_definition(&format!("{prefix}.{k}"), r, out);
    }
}

/// A loss term's label: its operator, numbered if the operator appears more than once.
fn term_label(def: &Definition, index: usize) -> String {
    let op = &def.terms[index].1.op;
    let same: Vec<usize> = (0..def.terms.len()).filter(|&i| def.terms[i].1.op == *op).collect();
    if same.len() == 1 {
        op.clone()
    } else {
        format!("{op}#{}", same.iter().position(|&i| i == index).unwrap_or(0) + 1)
    }
}
