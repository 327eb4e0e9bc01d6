//! Task definitions: trial generators for `task` declarations.

mod delayed_reach;
mod working_memory;

pub use delayed_reach::DelayedReach;
pub use working_memory::WorkingMemory;
