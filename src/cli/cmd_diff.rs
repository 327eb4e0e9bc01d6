//! `rnx diff A B`: why two runs differ, stage by stage, from two locks or two packs.

use super::EXIT_FAILURE;
use super::args::DiffArgs;
use super::front::report;
use super::stdout::outln;
use crate::share::{Lockfile, ShareError, StageDiff, diff, read_pack_lock};
use std::path::Path;

pub fn run(args: DiffArgs) -> u8 {
    let (a, b) = match (read(&args.a), read(&args.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            report(e);
            return EXIT_FAILURE;
        }
    };
    let d = diff(&a, &b);
    for line in &d.run {
        outln!("{line}");
    }
    for (name, s) in &d.stages {
        match s {
            StageDiff::OnlyInA => outln!("{name}: only in A"),
            StageDiff::OnlyInB => outln!("{name}: only in B"),
            StageDiff::KeyChanged(reasons) => outln!("{name}: {}", reasons.join("; ")),
            StageDiff::OutputsDiffer(files) => outln!(
                "{name}: same key, different outputs ({}): another machine's arithmetic or nondeterminism",
                files.join(", ")
            ),
        }
    }
    eprintln!("{} stages differ, {} unchanged", d.stages.len(), d.same);
    if d.is_empty() { 0 } else { 1 }
}

/// A lock file, or the lock inside a pack (recognised by zstd's magic number).
fn read(path: &Path) -> Result<Lockfile, ShareError> {
    let mut magic = [0u8; 4];
    let is_pack = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && magic == [0x28, 0xb5, 0x2f, 0xfd];
    if is_pack {
        read_pack_lock(path)
    } else {
        Lockfile::read(path)
    }
}
