//! rnx: a declarative, content-cached pipeline engine for recurrent-neural-network experiments.

pub mod ops;
pub mod params;
pub mod rng;
pub mod schema;
pub mod table;
pub mod units;
pub mod value;
pub mod ast;
pub mod source;
pub mod syntax;
pub mod check;
pub mod diagnostic;
pub mod loader;
pub mod plan;
pub mod cache;
pub mod exec;
pub mod cli;
