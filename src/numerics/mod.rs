//! Numerical analyses of rate networks in f64: activations, the network map, fixed points, PCA,
//! jPCA, response motifs, the swap mixture and curve, plane alignment, decoding.

pub mod activation;
pub mod decoding;
pub mod fixed_points;
pub mod jpca;
pub mod mixture;
pub mod motifs;
pub mod pca;
pub mod plane_alignment;
pub mod replicate_stats;
pub mod rnn_map;
pub mod similarity;
pub mod swap_curve;
