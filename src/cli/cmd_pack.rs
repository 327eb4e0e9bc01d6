//! `rnx pack FILE -o NAME.rnxpack`: the pipeline, its lock and its results in one archive.

use super::EXIT_FAILURE;
use super::args::{CacheArgs, PackArgs, PipelineArgs};
use super::cmd_cache::human_bytes;
use super::front::{Front, front, lock_path, open_cache, report};
use crate::share::{Lockfile, PackOptions, PackSelection, pack};
use std::path::{Path, PathBuf};

pub fn run(args: PackArgs) -> u8 {
    let Some((lock_path, lock, f)) = planned_as_locked(&args.file, &args.cache) else {
        return EXIT_FAILURE;
    };
    let Ok((store, _, _)) = open_cache(&args.cache, &args.file, &f.pipeline) else {
        return EXIT_FAILURE;
    };
    let selection = match args.only.as_deref() {
        None | Some("all") => PackSelection::All,
        Some("final") => PackSelection::Final,
        Some(list) => PackSelection::Stages(
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        ),
    };
    if !lock.complete {
        eprintln!(
            "warning: the last run of `{}` did not complete; the pack holds the {} stages it finished",
            lock.pipeline,
            lock.stages.len()
        );
    }
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.rnxpack", lock.pipeline)));
    let options = PackOptions {
        selection,
        with_inputs: args.with_inputs,
        output: output.clone(),
    };
    match pack(&f.plan, &f.pipeline.sources, &store, &lock, &lock_path, &options) {
        Ok(s) => {
            eprintln!(
                "packed {} files ({} cache entries, {}) into {} ({})",
                s.files,
                s.entries,
                human_bytes(s.bytes_in),
                output.display(),
                human_bytes(s.bytes_out)
            );
            0
        }
        Err(e) => {
            report(e);
            EXIT_FAILURE
        }
    }
}

/// Reads a pipeline's lock (explaining a missing one) and plans the pipeline exactly as the lock
/// describes it: with its profile and overrides.
pub fn planned_as_locked(file: &Path, cache: &CacheArgs) -> Option<(PathBuf, Lockfile, Front)> {
    let lock_path = lock_path(cache, file);
    if !lock_path.exists() {
        eprintln!(
            "error: `{}` has no lock file (`{}`)\n  help: `rnx run {}` writes it",
            file.display(),
            lock_path.display(),
            file.display()
        );
        return None;
    }
    let lock = Lockfile::read(&lock_path).map_err(report).ok()?;
    let pipeline = PipelineArgs {
        file: file.to_path_buf(),
        profile: lock.profile.clone(),
        sets: lock.sets.clone(),
    };
    let f = front(&pipeline).ok()?;
    Some((lock_path, lock, f))
}
