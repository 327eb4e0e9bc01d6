//! Data stages: rendering a task's trials, synthesising behaviour, loading a user's file.

mod load;
mod nonparametric;
pub(crate) mod report_trials;
mod swap_mixture;
mod trials;

pub use load::Load;
pub use nonparametric::Nonparametric;
pub use swap_mixture::SwapMixture;
pub use trials::Trials;
