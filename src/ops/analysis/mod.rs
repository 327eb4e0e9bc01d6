//! Analyses of trained networks: robustness to noise, PCA of trajectories, fixed points.

mod fixed_points;
mod pca;
mod robustness;
mod swap_curve;
pub mod wide;

pub use fixed_points::FixedPoints;
pub use pca::Pca;
pub use robustness::Robustness;
pub use swap_curve::SwapCurve;
