//! Data stages: rendering a task's trials, synthesising behaviour, loading a user's file,
//! recording a teacher population and sampling its units.

mod load;
mod nonparametric;
mod recordings;
pub(crate) mod report_trials;
mod sample_units;
mod swap_mixture;
pub(crate) mod trials;

pub use load::{Load, read_file};
pub use nonparametric::Nonparametric;
pub use recordings::Recordings;
pub use sample_units::SampleUnits;
pub use swap_mixture::SwapMixture;
pub use trials::Trials;
