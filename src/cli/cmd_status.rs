//! `rnx status FILE [--json]`: each instance's state and the reasons for it.

use super::EXIT_FAILURE;
use super::args::StatusArgs;
use super::front::{Session, session};
use super::stdout::outln;
use crate::exec::{State, status};

pub fn run(args: StatusArgs) -> u8 {
    let Ok(Session {
        front: f,
        device,
        store,
        records_path: _,
        lock_path: _,
        records,
    }) = session(&args.pipeline, &args.cache)
    else {
        return EXIT_FAILURE;
    };
    let states = status(&f.plan, &store, &records, &device);
    if args.json {
        match serde_json::to_string_pretty(&states) {
            Ok(text) => outln!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_FAILURE;
            }
        }
        return 0;
    }
    let width = states.iter().map(|s| s.name.len()).max().unwrap_or(5).max(5);
    outln!("{:<8} {:<width$}  REASON", "STATE", "STAGE");
    for s in &states {
        let state = match s.state {
            State::Cached => "cached",
            State::Stale => "stale",
            State::Missing => "missing",
        };
        let reasons: Vec<String> = s.reasons.iter().map(|r| r.to_string()).collect();
        outln!("{state:<8} {:<width$}  {}", s.name, reasons.join("; ").trim_end());
    }
    let cached = states.iter().filter(|s| s.state == State::Cached).count();
    eprintln!(
        "{} instances: {cached} cached, {} to run",
        states.len(),
        states.len() - cached
    );
    0
}
