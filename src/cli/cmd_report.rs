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
    match write(&f.plan, &store, &device, &f.pipeline.name, &args.stages, &args.output) {
        Some(svgs) => match &args.svg_dir {
            None => 0,
            Some(dir) => write_svgs(dir, &svgs),
        },
        None => EXIT_FAILURE,
    }
}

fn write_svgs(dir: &Path, svgs: &[(String, String)]) -> u8 {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create `{}`: {e}", dir.display());
        return EXIT_FAILURE;
    }
    for (name, svg) in svgs {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, svg) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return EXIT_FAILURE;
        }
    }
    eprintln!("wrote {} SVG files into {}", svgs.len(), dir.display());
    0
}

/// Builds and writes the report and says what it wrote; returns its figures as SVG files
/// (name, text), or `None` if it could not be written.
pub fn write(
    plan: &Plan,
    store: &Store,
    device: &str,
    name: &str,
    only: &[String],
    path: &Path,
) -> Option<Vec<(String, String)>> {
    let started = std::time::Instant::now();
    let (html, summary) = crate::report::build(plan, store, device, &format!("rnx report: {name}"), only);
    if let Err(e) = std::fs::write(path, html) {
        eprintln!("error: cannot write `{}`: {e}", path.display());
        return None;
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
    Some(summary.svgs)
}
