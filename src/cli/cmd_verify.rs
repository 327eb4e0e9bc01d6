//! `rnx verify FILE [STAGES...]`: recompute stages from their cached inputs and compare with the lock.

use super::EXIT_FAILURE;
use super::args::{CacheArgs, VerifyArgs};
use super::cmd_pack::planned_as_locked;
use super::front::{device, open_cache};
use super::progress::{Display, install_interrupt_handler};
use super::stdout::outln;
use crate::cache::Reason;
use crate::exec::{Event, EventSink, Readiness, prepare};
use crate::plan::Plan;
use crate::share::{KeyCheck, Lockfile, Tolerance, Verdict, check_lock_keys, verify_instance};
use rayon::prelude::*;
use std::path::Path;

pub fn run(args: VerifyArgs) -> u8 {
    let Some((lock_path, lock, f)) = planned_as_locked(&args.file, &args.cache) else {
        return EXIT_FAILURE;
    };
    if args.keys {
        return keys_only(&args, &lock_path, &lock, &f.plan);
    }
    // Recompute on the device class the lock was computed on, unless told otherwise.
    let cache_args = CacheArgs {
        device: args.cache.device.clone().or_else(|| Some(lock.device.clone())),
        ..args.cache.clone()
    };
    let Ok(device) = device(&cache_args, &f.pipeline) else {
        return EXIT_FAILURE;
    };
    let Ok((store, _, _)) = open_cache(&cache_args, &args.file, &f.pipeline) else {
        return EXIT_FAILURE;
    };
    let plan = &f.plan;
    let mut selected = Vec::new();
    for wanted in &args.stages {
        let ids: Vec<usize> = (0..plan.instances.len())
            .filter(|&i| plan.instances[i].name == *wanted || plan.instances[i].decl_name == *wanted)
            .collect();
        if ids.is_empty() {
            eprintln!("error: `{}` has no stage `{wanted}`", args.file.display());
            return EXIT_FAILURE;
        }
        selected.extend(ids);
    }
    if args.stages.is_empty() {
        selected = plan.order.clone();
    }
    selected.sort_unstable();
    selected.dedup();
    let tolerance = Tolerance {
        rtol: args.rtol,
        atol: args.atol,
    };
    if !(tolerance.rtol >= 0.0 && tolerance.atol >= 0.0) {
        eprintln!("error: --rtol and --atol must be non-negative numbers");
        return EXIT_FAILURE;
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot start worker threads: {e}");
            return EXIT_FAILURE;
        }
    };

    install_interrupt_handler();
    let display = Display::new();
    display.event(Event::Begin { total: selected.len() });
    let prepared = prepare(plan, &store, &device, &selected);
    let reasons = [Reason::Verify];
    let verdicts: Vec<(String, Verdict)> = pool.install(|| {
        prepared
            .par_iter()
            .map(|(id, readiness)| {
                let name = plan.instances[*id].name.clone();
                if display.interrupted() {
                    return (name, Verdict::CannotVerify("interrupted".into()));
                }
                let verdict = match readiness {
                    Readiness::Blocked(why) => Verdict::CannotVerify(why.clone()),
                    Readiness::Ready(p) => {
                        display.event(Event::Start {
                            name: &name,
                            reasons: &reasons,
                        });
                        let started = std::time::Instant::now();
                        let v = verify_instance(plan, p, lock.stages.get(&name), &store, &device, tolerance, &display);
                        display.event(Event::Finish {
                            name: &name,
                            seconds: started.elapsed().as_secs_f64(),
                        });
                        v
                    }
                };
                (name, verdict)
            })
            .collect()
    });
    display.finish();

    let mut failed = 0;
    for (name, verdict) in &verdicts {
        match verdict {
            Verdict::Identical => outln!("identical         {name}"),
            Verdict::WithinTolerance(notes) => {
                outln!("within tolerance  {name}");
                for n in notes {
                    outln!("    {n}");
                }
            }
            Verdict::Mismatch(problems) => {
                failed += 1;
                outln!("MISMATCH          {name}");
                for p in problems {
                    outln!("    {p}");
                }
            }
            Verdict::CannotVerify(why) => {
                failed += 1;
                outln!("NOT VERIFIED      {name}: {why}");
            }
        }
    }
    let passed = verdicts.len() - failed;
    eprintln!(
        "{}: {passed} of {} stages verified against {}",
        lock.pipeline,
        verdicts.len(),
        lock_path.display()
    );
    if failed == 0 { 0 } else { EXIT_FAILURE }
}

/// `--keys`: compare keys only, recomputing nothing.
fn keys_only(args: &VerifyArgs, lock_path: &Path, lock: &Lockfile, plan: &Plan) -> u8 {
    let checks = check_lock_keys(plan, lock);
    let selected: Vec<&(String, KeyCheck)> = checks
        .iter()
        .filter(|(name, _)| {
            args.stages.is_empty()
                || args
                    .stages
                    .iter()
                    .any(|w| w == name || plan.instances.iter().any(|i| i.name == *name && i.decl_name == *w))
        })
        .collect();
    if selected.is_empty() {
        eprintln!(
            "error: `{}` has no stage {}",
            args.file.display(),
            args.stages.join(", ")
        );
        return EXIT_FAILURE;
    }
    let mut failed = 0;
    for (name, check) in &selected {
        match check {
            KeyCheck::Same => outln!("same key          {name}"),
            KeyCheck::Differs(reasons) => outln!("KEY DIFFERS       {name}: {}", reasons.join("; ")),
            KeyCheck::NotInLock => outln!("NOT IN LOCK       {name}"),
            KeyCheck::InputNotInLock(inputs) => {
                outln!(
                    "NOT VERIFIED      {name}: the lock lacks its inputs {}",
                    inputs.join(", ")
                )
            }
            KeyCheck::Failed(why) => outln!("NOT VERIFIED      {name}: {why}"),
        }
        if !check.passed() {
            failed += 1;
        }
    }
    eprintln!(
        "{}: {} of {} stages have the key {} records",
        lock.pipeline,
        selected.len() - failed,
        selected.len(),
        lock_path.display()
    );
    if failed == 0 { 0 } else { EXIT_FAILURE }
}
