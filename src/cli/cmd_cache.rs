//! `rnx cache ls`: the cache's entries with their size, age and stage.

use super::args::CacheCommand;
use super::front::{cache_dir_near, existing_store};
use super::stdout::outln;
use crate::share::list_entries;

pub fn run(command: CacheCommand) -> u8 {
    let CacheCommand::Ls { cache_dir } = command;
    let dir = cache_dir_near(cache_dir.as_deref(), None);
    let store = match existing_store(&dir) {
        Ok(Some(s)) => s,
        Ok(None) => return 0,
        Err(()) => return super::EXIT_FAILURE,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut entries = list_entries(&store);
    entries.sort_by(|a, b| b.committed_at.cmp(&a.committed_at).then(a.stage.cmp(&b.stage)));
    outln!("{:<12}  {:>9}  {:>6}  STAGE", "KEY", "SIZE", "AGE");
    for e in &entries {
        let age = if e.committed_at == 0 {
            "?".to_string()
        } else {
            human_age(now.saturating_sub(e.committed_at))
        };
        let stage = if e.damaged {
            format!("{} (damaged)", e.stage)
        } else {
            e.stage.clone()
        };
        outln!(
            "{:<12}  {:>9}  {:>6}  {stage}",
            &e.key[..12.min(e.key.len())],
            human_bytes(e.bytes),
            age
        );
    }
    let total: u64 = entries.iter().map(|e| e.bytes).sum();
    eprintln!("{} entries, {} in {}", entries.len(), human_bytes(total), dir.display());
    0
}

/// Bytes in B, KiB, MiB or GiB.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut x = n as f64;
    let mut unit = 0;
    while x >= 1024.0 && unit < UNITS.len() - 1 {
        x /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{x:.1} {}", UNITS[unit])
    }
}

fn human_age(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}
