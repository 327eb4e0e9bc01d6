//! Numerical analyses of rate networks in f64: activations, the network map, fixed points, PCA.

pub mod activation;
pub mod decoding;
pub mod fixed_points;
pub mod mixture;
pub mod pca;
pub mod plane_alignment;
pub mod rnn_map;
pub mod swap_curve;
