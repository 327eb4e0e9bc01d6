//! Choosing the candle device for a device class (`cpu` or `cuda`).

use crate::op_error::OpError;
use candle_core::Device;

/// The device for `class`. Asking for CUDA in a build without it is an error, never a fallback.
pub fn choose_device(class: &str) -> Result<Device, OpError> {
    match class {
        "cpu" => Ok(Device::Cpu),
        "cuda" => cuda(),
        other => Err(OpError::invalid(format!("unknown device class `{other}`"))),
    }
}

#[cfg(feature = "cuda")]
fn cuda() -> Result<Device, OpError> {
    Device::new_cuda(0).map_err(|e| OpError::invalid(format!("cannot open CUDA device 0: {e}")))
}

#[cfg(not(feature = "cuda"))]
fn cuda() -> Result<Device, OpError> {
    Err(OpError::invalid(
        "this rnx was built without CUDA; rebuild with `--features cuda` or use `--device cpu`",
    ))
}

/// Whether this build can use CUDA and a GPU answers.
pub fn cuda_available() -> bool {
    cfg!(feature = "cuda") && cuda().is_ok()
}
