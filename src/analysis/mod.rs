//! Numerical analyses of rate networks in f64: activations, the network map, fixed points, PCA.

pub mod activation;
pub mod fixed_points;
pub mod pca;
pub mod rnn_map;
