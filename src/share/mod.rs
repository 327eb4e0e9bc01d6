//! Sharing results: the lock file beside each pipeline, packs that carry a pipeline with its
//! results, unpacking them safely, re-verifying stages, garbage collection and lock diffs.

mod archive;
mod diff;
mod error;
mod gc;
mod lock_keys;
mod lockfile;
mod pack;
mod paths;
mod tolerance;
mod unpack;
mod verify;

pub use archive::{PACK_MANIFEST, PackManifest, PackedFile, read_pack_lock};
pub use diff::{LockDiff, StageDiff, diff};
pub use error::ShareError;
pub use gc::{CacheEntry, GcPlan, gc_plan, list_entries, remove_entries};
pub use lock_keys::{KeyCheck, check_lock_keys};
pub use lockfile::{
    LOCK_FORMAT, LockedOutput, LockedSource, LockedStage, Lockfile, RunFacts, absolute, default_lock_path,
};
pub use pack::{PackOptions, PackSelection, PackSummary, pack};
pub use tolerance::{TableComparison, Tolerance, compare_tables};
pub use unpack::{UnpackOptions, UnpackSummary, unpack};
pub use verify::{Verdict, verify_instance};
