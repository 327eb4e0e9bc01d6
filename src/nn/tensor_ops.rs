//! Tensor helpers: activations as candle expressions (so autograd differentiates them).

use crate::numerics::activation::Activation;
use candle_core::{Result, Tensor};

/// phi(x), elementwise.
pub fn activate(activation: Activation, x: &Tensor) -> Result<Tensor> {
    match activation {
        Activation::Tanh => x.tanh(),
        Activation::Relu => x.relu(),
        // softplus(x) = relu(x) + log(1 + exp(-|x|)), stable for large |x|.
        Activation::Softplus => x.relu()? + (x.abs()?.neg()?.exp()? + 1.0)?.log()?,
        Activation::Sigmoid => (x.neg()?.exp()? + 1.0)?.recip(),
        Activation::RectifiedTanh => x.tanh()?.relu(),
        Activation::Linear => Ok(x.clone()),
    }
}
