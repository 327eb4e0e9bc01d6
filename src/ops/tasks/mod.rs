//! Task definitions: trial generators for `task` declarations.

mod delayed_reach;
mod reach_teacher;
mod working_memory;

pub use delayed_reach::DelayedReach;
pub use reach_teacher::ReachTeacher;
pub use working_memory::WorkingMemory;
