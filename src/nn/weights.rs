//! Weights on disk: safetensors with the model's configuration in the metadata, readable by
//! Python's `safetensors` (`safe_open(path, "np").metadata()["rnx_model"]`).

use super::ctrnn::CtrnnConfig;
use super::diffusion::{DiffusionConfig, Weighting};
use super::nn_err;
use crate::numerics::activation::Activation;
use crate::op_error::OpError;
use candle_core::{Device, Tensor};
use std::collections::{BTreeMap, HashMap};

/// Serialises named tensors (f32) and the configuration as safetensors bytes, deterministically.
pub fn to_bytes(config: &CtrnnConfig, tensors: &[(String, Tensor)]) -> Result<Vec<u8>, OpError> {
    let mut owned: Vec<(String, Vec<u8>, Vec<usize>)> = Vec::new();
    for (name, t) in tensors {
        let t = t
            .to_device(&Device::Cpu)
            .map_err(nn_err)?
            .contiguous()
            .map_err(nn_err)?;
        let values: Vec<f32> = t.flatten_all().and_then(|f| f.to_vec1()).map_err(nn_err)?;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        owned.push((name.clone(), bytes, t.dims().to_vec()));
    }
    owned.sort_by(|a, b| a.0.cmp(&b.0));
    let views: Vec<(String, safetensors::tensor::TensorView)> = owned
        .iter()
        .map(|(name, bytes, shape)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| OpError::internal(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let mut metadata = HashMap::new();
    metadata.insert("rnx_model".to_string(), config_json(config));
    safetensors::tensor::serialize(views, Some(metadata)).map_err(|e| OpError::internal(e.to_string()))
}

/// Reads tensors and the configuration back.
pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<(CtrnnConfig, BTreeMap<String, Tensor>), OpError> {
    let bad = |e: String| OpError::invalid(format!("not a valid rnx weights file: {e}"));
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
    let config_text = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get("rnx_model").cloned())
        .ok_or_else(|| bad("no `rnx_model` metadata".into()))?;
    let config = config_from_json(&config_text).map_err(bad)?;
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
    let mut tensors = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(bad(format!("tensor `{name}` is not f32")));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let t = Tensor::from_vec(values, view.shape(), device).map_err(nn_err)?;
        tensors.insert(name, t);
    }
    Ok((config, tensors))
}

fn config_json(c: &CtrnnConfig) -> String {
    serde_json::json!({
        "model": "ctrnn",
        "units": c.units,
        "n_in": c.n_in,
        "n_out": c.n_out,
        "activation": activation_name(c.activation),
        "tau": c.tau,
        "dt": c.dt,
        "g": c.g,
        "input_noise": c.input_noise,
        "recurrent_noise": c.recurrent_noise,
        "learn_initial_state": c.learn_initial_state,
        "excitatory_fraction": c.excitatory_fraction,
        "density": c.density,
        "fixed": c.fixed,
        "diffusion": c.diffusion.as_ref().map(|d| serde_json::json!({
            "beta_start": d.beta_start,
            "beta_end": d.beta_end,
            "response_start": d.response_start,
            "response_steps": d.response_steps,
            "weighting": d.weighting.name(),
        })),
    })
    .to_string()
}

fn config_from_json(text: &str) -> Result<CtrnnConfig, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let num = |k: &str| v[k].as_f64().ok_or_else(|| format!("missing `{k}`"));
    let int = |k: &str| {
        v[k].as_u64()
            .map(|x| x as usize)
            .ok_or_else(|| format!("missing `{k}`"))
    };
    let activation = v["activation"]
        .as_str()
        .and_then(Activation::from_name)
        .ok_or_else(|| "missing or unknown `activation`".to_string())?;
    Ok(CtrnnConfig {
        units: int("units")?,
        n_in: int("n_in")?,
        n_out: int("n_out")?,
        activation,
        tau: num("tau")?,
        dt: num("dt")?,
        g: num("g")?,
        input_noise: num("input_noise")?,
        recurrent_noise: num("recurrent_noise")?,
        learn_initial_state: v["learn_initial_state"].as_bool().unwrap_or(false),
        excitatory_fraction: v["excitatory_fraction"].as_f64(),
        density: num("density")?,
        fixed: v["fixed"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default(),
        diffusion: diffusion_from_json(&v["diffusion"])?,
    })
}

fn diffusion_from_json(v: &serde_json::Value) -> Result<Option<DiffusionConfig>, String> {
    if v.is_null() {
        return Ok(None);
    }
    let num = |k: &str| v[k].as_f64().ok_or_else(|| format!("missing `diffusion.{k}`"));
    let int = |k: &str| {
        v[k].as_u64()
            .map(|x| x as usize)
            .ok_or_else(|| format!("missing `diffusion.{k}`"))
    };
    Ok(Some(DiffusionConfig {
        beta_start: num("beta_start")?,
        beta_end: num("beta_end")?,
        response_start: int("response_start")?,
        response_steps: int("response_steps")?,
        weighting: v["weighting"]
            .as_str()
            .and_then(Weighting::from_name)
            .ok_or_else(|| "missing or unknown `diffusion.weighting`".to_string())?,
    }))
}

/// The `.rnx` name of an activation, as `from_name` reads it.
pub fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Tanh => "tanh",
        Activation::Relu => "relu",
        Activation::Softplus => "softplus",
        Activation::Sigmoid => "sigmoid",
        Activation::RectifiedTanh => "rectified_tanh",
        Activation::Linear => "linear",
    }
}
