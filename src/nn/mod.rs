//! The neural core: the continuous-time rate RNN in candle, its losses, weights on disk, devices.

pub mod bptt;
pub mod ctrnn;
pub mod device;
pub mod diffusion;
pub mod direct_step;
pub mod fast_math;
pub mod fused;
pub mod loss;
pub mod loss_spec;
pub mod loss_term;
pub mod tensor_ops;
pub mod trainer;
pub mod weights;

pub use ctrnn::{Ctrnn, CtrnnConfig, Rollout};
pub use device::choose_device;

/// Converts a candle error into an operator error.
pub fn nn_err(e: candle_core::Error) -> crate::op_error::OpError {
    crate::op_error::OpError::internal(format!("tensor operation failed: {e}"))
}
