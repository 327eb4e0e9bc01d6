//! Task definitions: trial generators for `task` declarations.

pub mod declared;
mod delayed_reach;
mod reach_teacher;
pub mod task;
mod trial_table;
mod trial_table_read;
mod working_memory;

pub use declared::Declared;
pub use delayed_reach::DelayedReach;
pub use reach_teacher::ReachTeacher;
pub use trial_table::TrialTableTask;
pub use working_memory::WorkingMemory;
