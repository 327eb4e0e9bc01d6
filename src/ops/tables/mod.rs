//! Operators that reshape other stages' tables.

mod concat;

pub use concat::Concat;
