//! Operators that reshape other stages' tables.

mod compare;
mod concat;
mod paired;
pub(crate) mod replicate_groups;
pub(crate) mod summary;

pub use compare::Compare;
pub use concat::Concat;
pub use paired::Paired;
pub use summary::Summary;
