//! `rnx worker --cache-dir DIR SPEC...`: what a SLURM job runs: each stage spec, in order,
//! against the shared cache, committing as a local run would.

use super::EXIT_FAILURE;
use super::args::WorkerArgs;
use super::front::report;
use super::progress::Display;
use crate::cache::Store;
use crate::exec::{Outcome, StageSpec, run_spec};

pub fn run(args: WorkerArgs) -> u8 {
    let store = match Store::open(&args.cache_dir) {
        Ok(s) => s,
        Err(e) => {
            report(e);
            return EXIT_FAILURE;
        }
    };
    let display = Display::new();
    let mut failed = 0;
    for path in &args.specs {
        let spec = match StageSpec::read(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
                continue;
            }
        };
        eprintln!("rnx worker: {} ({})", spec.name, &spec.key[..12.min(spec.key.len())]);
        match run_spec(&spec, &store, &display) {
            Outcome::Ran(_, r) => eprintln!("rnx worker: {} committed in {:.2} s", spec.name, r.seconds),
            Outcome::Elsewhere(..) => eprintln!("rnx worker: {} was already committed", spec.name),
            Outcome::Failed(message) => {
                eprintln!("error: stage `{}` failed: {message}", spec.name);
                failed += 1;
            }
            Outcome::Interrupted => {
                eprintln!("rnx worker: {} interrupted", spec.name);
                failed += 1;
            }
        }
    }
    display.finish();
    if failed == 0 { 0 } else { EXIT_FAILURE }
}
