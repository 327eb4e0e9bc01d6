//! Claim operators: stages that state whether a scientific claim holds across replicates, each
//! writing one `claim` row (holds or not, and the numbers behind it) that `rnx claims` prints.

mod at_least;
mod greater;
mod near;
mod verdict;

pub use at_least::AtLeast;
pub use greater::Greater;
pub use near::Near;
pub use verdict::{CLAIM_TABLE, Verdict};
