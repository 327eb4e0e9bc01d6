//! Operators that reshape other stages' tables.

mod compare;
mod concat;

pub use compare::Compare;
pub use concat::Concat;
