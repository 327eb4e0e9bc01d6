//! Data stages: rendering a task's trials, synthesising behaviour, loading a user's file.

mod load;
mod swap_mixture;
mod trials;

pub use load::Load;
pub use swap_mixture::SwapMixture;
pub use trials::Trials;
