//! `rnx gc [--keep-lock FILE...] [--dry-run]`: remove the cache entries no kept lock references.

use super::EXIT_FAILURE;
use super::args::GcArgs;
use super::cmd_cache::human_bytes;
use super::front::{cache_dir_near, existing_store, report};
use super::stdout::outln;
use crate::cache::{RunRecords, Store, StoreLock};
use crate::share::{Lockfile, gc_plan, remove_entries};
use std::collections::BTreeSet;

pub fn run(args: GcArgs) -> u8 {
    let dir = cache_dir_near(args.cache_dir.as_deref(), args.keep_locks.first().map(|p| p.as_path()));
    let store = match existing_store(&dir) {
        Ok(Some(s)) => s,
        Ok(None) => return 0,
        Err(()) => return super::EXIT_FAILURE,
    };
    // Exclusive: no `rnx run` may commit while the kept set is computed and entries removed.
    let _exclusive = match StoreLock::try_exclusive(&store) {
        Ok(Some(l)) => l,
        Ok(None) => {
            eprintln!("waiting for the rnx processes using {} to finish…", dir.display());
            match StoreLock::exclusive(&store) {
                Ok(l) => l,
                Err(e) => {
                    report(e);
                    return EXIT_FAILURE;
                }
            }
        }
        Err(e) => {
            report(e);
            return EXIT_FAILURE;
        }
    };
    let mut keep = BTreeSet::new();
    if args.keep_locks.is_empty() {
        let records = run_records(&store);
        for r in &records {
            keep.extend(r.instances.values().map(|i| i.key.clone()));
        }
        eprintln!(
            "keeping what the last runs of {} pipelines reference (choose with --keep-lock)",
            records.len()
        );
    } else {
        for path in &args.keep_locks {
            match Lockfile::read(path) {
                Ok(lock) => keep.extend(lock.stages.values().map(|s| s.key.clone())),
                Err(e) => {
                    // A lock that cannot be read must not let its entries be removed.
                    report(e);
                    return EXIT_FAILURE;
                }
            }
        }
    }
    let plan = gc_plan(&store, &keep);
    if args.dry_run {
        for e in &plan.remove {
            outln!(
                "would remove  {}  {:>9}  {}",
                &e.key[..12.min(e.key.len())],
                human_bytes(e.bytes),
                e.stage
            );
        }
        eprintln!(
            "would remove {} entries ({}); keeping {} ({})",
            plan.remove.len(),
            human_bytes(plan.bytes()),
            plan.kept,
            human_bytes(plan.kept_bytes)
        );
        return 0;
    }
    let staging = store.clean_staging();
    let (removed, freed) = remove_entries(&store, &plan);
    eprintln!(
        "removed {removed} entries, freed {}; kept {} ({}){}",
        human_bytes(freed),
        plan.kept,
        human_bytes(plan.kept_bytes),
        if staging > 0 {
            format!("; removed {staging} abandoned staging folders")
        } else {
            String::new()
        }
    );
    0
}

/// Every pipeline's last run record in the store.
fn run_records(store: &Store) -> Vec<RunRecords> {
    let dir = store.runs_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| RunRecords::load(p)).collect()
}
