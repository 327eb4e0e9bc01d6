//! `rnx report FILE [-o report.html] [STAGES...]`: the figures of every stage, from the cache.

use super::EXIT_FAILURE;
use super::args::ReportArgs;
use super::front::{Session, session};
use crate::cache::Store;
use crate::plan::Plan;
use std::path::Path;

pub fn run(args: ReportArgs) -> u8 {
    let Ok(Session {
        front: f,
        device,
        store,
        ..
    }) = session(&args.pipeline, &args.cache)
    else {
        return EXIT_FAILURE;
    };
    for s in &args.stages {
        if f.plan.find(s).is_empty() {
            eprintln!("error: `{}` has no stage `{s}`", args.pipeline.file.display());
            return EXIT_FAILURE;
        }
    }
    if write(&f.plan, &store, &device, &f.pipeline.name, &args.stages, &args.output) {
        0
    } else {
        EXIT_FAILURE
    }
}

/// Builds and writes the report; says what it wrote. Returns whether it was written.
pub fn write(plan: &Plan, store: &Store, device: &str, name: &str, only: &[String], path: &Path) -> bool {
    let started = std::time::Instant::now();
    let (html, summary) = crate::report::build(plan, store, device, &format!("rnx report: {name}"), only);
    if let Err(e) = std::fs::write(path, html) {
        eprintln!("error: cannot write `{}`: {e}", path.display());
        return false;
    }
    eprintln!(
        "report: {} sections, {} figures{} in {:.2} s -> {}",
        summary.sections,
        summary.figures,
        if summary.missing > 0 {
            format!(", {} instances not computed yet", summary.missing)
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64(),
        path.display()
    );
    true
}
