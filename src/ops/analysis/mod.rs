//! Analyses of trained networks: robustness to noise, PCA of trajectories, fixed points.

mod robustness;

pub use robustness::Robustness;
