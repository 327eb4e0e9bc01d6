//! Events the executor reports while it runs; the CLI turns them into a progress display.

use crate::cache::Reason;

/// Something that happened to a stage instance or to the run.
#[derive(Debug)]
pub enum Event<'a> {
    /// The run begins: how many instances there are.
    Begin {
        total: usize,
    },
    /// An instance was found in the cache.
    Cached {
        name: &'a str,
    },
    /// An instance starts running, and why it runs.
    Start {
        name: &'a str,
        reasons: &'a [Reason],
    },
    /// A running instance reports progress.
    Progress {
        name: &'a str,
        done: u64,
        total: u64,
        message: &'a str,
    },
    /// An instance finished and was committed.
    Finish {
        name: &'a str,
        seconds: f64,
    },
    /// Another rnx process computed this instance while we waited for its lock.
    ComputedElsewhere {
        name: &'a str,
    },
    Fail {
        name: &'a str,
        message: &'a str,
    },
    /// An instance was not run because an input failed.
    Skip {
        name: &'a str,
        because: &'a str,
    },
}

/// Receives the events of a run. Implementations must be thread-safe and cheap.
pub trait EventSink: Sync {
    fn event(&self, event: Event);
    /// Whether the user asked to stop (Ctrl-C).
    fn interrupted(&self) -> bool {
        false
    }
}

/// A sink that ignores every event.
pub struct Silent;
impl EventSink for Silent {
    fn event(&self, _: Event) {}
}
