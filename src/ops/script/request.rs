//! `request.json`: what a `script` is told about its stage (inputs, parameters, outputs, seed).

use crate::ops::{OpError, StageOutput};
use crate::value::Value;
use serde_json::{Map, Value as Json, json};
use std::path::{Path, PathBuf};

/// The request's format; a script may check it.
pub const FORMAT: &str = "rnx-script-request-v1";

/// Everything the request describes.
pub struct Request<'a> {
    pub stage: &'a str,
    pub seed: u64,
    pub coords: &'a [(String, Value)],
    pub params: &'a Value,
    pub inputs: &'a [StageOutput],
    pub output_dir: &'a Path,
    pub outputs: &'a [String],
}

impl Request<'_> {
    pub fn to_json(&self) -> Result<String, OpError> {
        let mut inputs = Vec::with_capacity(self.inputs.len());
        for input in self.inputs {
            let dir = absolute(&input.dir);
            let mut tables = Map::new();
            let mut files = Map::new();
            for file in &input.files {
                let path = Json::String(dir.join(file).to_string_lossy().into_owned());
                match file.strip_suffix(".parquet") {
                    Some(table) => tables.insert(table.to_string(), path),
                    None => files.insert(file.clone(), path),
                };
            }
            inputs.push(json!({
                "stage": input.stage,
                "declaration": declaration_of(&input.stage),
                "coords": coords(&input.coords),
                "dir": dir.to_string_lossy(),
                "tables": tables,
                "files": files,
            }));
        }
        let outputs: Map<String, Json> = self
            .outputs
            .iter()
            .map(|name| {
                let path = self.output_dir.join(format!("{name}.parquet"));
                (name.clone(), Json::String(path.to_string_lossy().into_owned()))
            })
            .collect();
        let request = json!({
            "format": FORMAT,
            "stage": self.stage,
            "declaration": declaration_of(self.stage),
            "seed": self.seed,
            "coords": coords(self.coords),
            "params": to_json(self.params),
            "inputs": inputs,
            "output_dir": self.output_dir.to_string_lossy(),
            "outputs": outputs,
        });
        serde_json::to_string_pretty(&request).map_err(|e| OpError::internal(e.to_string()))
    }
}

/// `fit` of an instance named `fit[lr=0.1]`.
fn declaration_of(instance: &str) -> &str {
    instance.split('[').next().unwrap_or(instance)
}

fn coords(coords: &[(String, Value)]) -> Map<String, Json> {
    coords.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()
}

/// A checked value as JSON: quantities as their SI number, names as strings, non-finite numbers as null.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(x) | Value::Quantity { si: x, .. } => {
            serde_json::Number::from_f64(*x).map_or(Json::Null, Json::Number)
        }
        Value::Str(s) | Value::Enum(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Block(entries) => Json::Object(entries.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

/// `path` made absolute (without resolving links where the file is missing).
pub fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Dimension;
    use std::collections::BTreeMap;

    #[test]
    fn the_request_lists_inputs_tables_params_and_outputs() {
        let params = Value::Block(BTreeMap::from([
            ("alpha".to_string(), Value::Float(0.5)),
            (
                "window".to_string(),
                Value::Quantity {
                    si: 0.2,
                    dim: Dimension::Time,
                },
            ),
            (
                "tags".to_string(),
                Value::List(vec![Value::Str("a".into()), Value::Int(2)]),
            ),
        ]));
        let input = StageOutput {
            stage: "fit[lr=0.1]".into(),
            coords: vec![("lr".into(), Value::Float(0.1))],
            dir: PathBuf::from("/cache/objects/k"),
            files: vec!["data.parquet".into(), "weights.safetensors".into()],
        };
        let coords = vec![("lr".to_string(), Value::Float(0.1))];
        let outputs = vec!["summary".to_string()];
        let request = Request {
            stage: "x[lr=0.1]",
            seed: u64::MAX,
            coords: &coords,
            params: &params,
            inputs: std::slice::from_ref(&input),
            output_dir: Path::new("/out"),
            outputs: &outputs,
        };
        let parsed: Json = serde_json::from_str(&request.to_json().unwrap()).unwrap();
        assert_eq!(parsed["format"], FORMAT);
        assert_eq!(parsed["declaration"], "x");
        assert_eq!(parsed["seed"], u64::MAX);
        assert_eq!(parsed["params"]["window"], 0.2);
        assert_eq!(parsed["params"]["tags"], json!(["a", 2]));
        assert_eq!(parsed["inputs"][0]["declaration"], "fit");
        assert_eq!(parsed["inputs"][0]["coords"]["lr"], 0.1);
        assert_eq!(parsed["inputs"][0]["tables"]["data"], "/cache/objects/k/data.parquet");
        assert_eq!(
            parsed["inputs"][0]["files"]["weights.safetensors"],
            "/cache/objects/k/weights.safetensors"
        );
        assert_eq!(parsed["outputs"]["summary"], "/out/summary.parquet");
    }
}
