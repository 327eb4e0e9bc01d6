//! Losses from a `loss` definition: a weighted sum of terms, each recorded separately.

use super::ctrnn::{Ctrnn, Rollout};
use crate::ops::{Definition, OpError};
use candle_core::{Result, Tensor};

/// One evaluated term: its label (the operator, numbered if repeated), weight and value.
pub struct TermValue {
    pub label: String,
    pub weight: f64,
    pub value: Tensor,
}

/// The labels of a loss's terms, in order: `mse`, `rate_l2`, or `weight_l2#2` when repeated.
pub fn term_labels(loss: &Definition) -> Vec<String> {
    let mut labels = Vec::new();
    for (i, (_, term)) in loss.terms.iter().enumerate() {
        let same: Vec<usize> = (0..loss.terms.len())
            .filter(|&j| loss.terms[j].1.op == term.op)
            .collect();
        labels.push(if same.len() == 1 {
            term.op.clone()
        } else {
            format!("{}#{}", term.op, same.iter().position(|&j| j == i).unwrap_or(0) + 1)
        });
    }
    labels
}

/// Checks, before training, that every term is one the trainer can compute.
pub fn check_supported(loss: &Definition) -> std::result::Result<(), OpError> {
    for (_, term) in &loss.terms {
        if !matches!(term.op.as_str(), "mse" | "rate_l2" | "weight_l2") {
            return Err(OpError::invalid(format!(
                "the loss term `{}` is not supported by `train` yet",
                term.op
            )));
        }
    }
    Ok(())
}

/// Evaluates every term on one rollout. `targets` and `mask` are `[B, T, n_out]`.
pub fn evaluate(
    loss: &Definition,
    net: &Ctrnn,
    rollout: &Rollout,
    targets: &Tensor,
    mask: &Tensor,
) -> Result<Vec<TermValue>> {
    let labels = term_labels(loss);
    let mut out = Vec::with_capacity(loss.terms.len());
    for ((weight, term), label) in loss.terms.iter().zip(labels) {
        let value = match term.op.as_str() {
            "mse" => masked_mse(&rollout.outputs, targets, mask)?,
            "rate_l2" => rollout.rates.sqr()?.mean_all()?,
            "weight_l2" => weight_l2(term, net)?,
            other => candle_core::bail!("unsupported loss term `{other}`"),
        };
        out.push(TermValue {
            label,
            weight: *weight,
            value,
        });
    }
    Ok(out)
}

/// The weighted sum of the terms.
pub fn total(terms: &[TermValue]) -> Result<Tensor> {
    let mut sum: Option<Tensor> = None;
    for t in terms {
        let weighted = (&t.value * t.weight)?;
        sum = Some(match sum {
            None => weighted,
            Some(s) => (s + weighted)?,
        });
    }
    match sum {
        Some(s) => Ok(s),
        None => candle_core::bail!("the loss has no terms"),
    }
}

/// Mean squared error over the entries where the mask is 1.
pub fn masked_mse(outputs: &Tensor, targets: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let err = (outputs - targets)?.sqr()?.mul(mask)?.sum_all()?;
    let count = mask.sum_all()?.maximum(1.0)?;
    err.div(&count)
}

fn weight_l2(term: &Definition, net: &Ctrnn) -> Result<Tensor> {
    let include: Vec<String> = match term.params.get("include") {
        Some(crate::value::Value::List(items)) => items.iter().map(|v| v.to_string()).collect(),
        _ => vec!["rec".into()],
    };
    let mut sum = Tensor::zeros((), candle_core::DType::F32, &net.device)?;
    for group in include {
        let w = match group.as_str() {
            "rec" => net.effective_w_rec()?,
            "in" => net.w_in.as_tensor().clone(),
            "out" => net.w_out.as_tensor().clone(),
            other => candle_core::bail!("unknown weight group `{other}`"),
        };
        sum = (sum + w.sqr()?.sum_all()?)?;
    }
    Ok(sum)
}
