//! What happened in a run: what ran, was cached, failed or was skipped, and the run's records.

use super::StageFailed;
use crate::cache::RunRecords;

/// What happened in a run.
#[derive(Default)]
pub struct RunSummary {
    pub ran: Vec<String>,
    pub cached: usize,
    pub elsewhere: usize,
    pub failed: Vec<StageFailed>,
    pub skipped: Vec<String>,
    pub interrupted: bool,
    pub records: RunRecords,
    /// The instances complete after the run (cached or computed), in plan order.
    pub complete: Vec<String>,
}

impl RunSummary {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
}
