//! Training and running networks: the `train` and `evaluate` stages and the tables they share.

mod data_pool;
mod evaluate;
mod recorded_units;
mod schedule;
mod train;
mod trajectories;

pub use evaluate::Evaluate;
pub use evaluate::run_network;
pub use train::Train;
pub use trajectories::{load_network, trajectories_table};

/// The input of every analysis that runs a trained network.
pub const TRAINED_NETWORK: crate::schema::InputSpec = crate::schema::InputSpec {
    name: "network",
    accepts: &[crate::schema::DeclKind::Train],
    required: true,
    many: false,
    doc: "A `train` stage.",
    reads: &[],
};
