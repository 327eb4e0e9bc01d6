//! Analyses of trained networks: robustness to noise, PCA of trajectories, fixed points, swap
//! curves, plane alignment and decoding.

mod decoding;
mod fixed_points;
mod fixed_points_tables;
mod generalisation;
mod jpca;
mod motifs;
mod network_run;
mod pca;
mod plane_alignment;
mod population;
mod robustness;
mod scorecard;
mod similarity;
mod swap_curve;
pub mod wide;

pub use decoding::Decoding;
pub use fixed_points::FixedPoints;
pub use generalisation::Generalisation;
pub use jpca::Jpca;
pub use motifs::Motifs;
pub use pca::Pca;
pub use plane_alignment::PlaneAlignment;
pub use robustness::Robustness;
pub use scorecard::Scorecard;
pub use similarity::Similarity;
pub use swap_curve::SwapCurve;
