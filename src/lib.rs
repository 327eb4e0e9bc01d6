//! rnx: a declarative, content-cached pipeline engine for recurrent-neural-network experiments.

pub mod ast;
pub mod cache;
pub mod check;
pub mod cli;
pub mod definition;
pub mod exec;
pub mod figure;
pub mod loader;
pub mod nn;
pub mod numerics;
pub mod op_error;
pub mod op_params;
pub mod ops;
pub mod params;
pub mod plan;
pub mod report;
pub mod rng;
pub mod schema;
pub mod share;
pub mod source;
pub mod syntax;
pub mod table;
pub mod trial_batch;
pub mod trialspec;
pub mod units;
pub mod value;
