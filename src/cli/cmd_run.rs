//! `rnx run FILE`: run every stage that is not cached, then record the run.

use super::args::{RunArgs, SlurmArgs};
use super::front::{Session, session, theme};
use super::progress::{Display, install_interrupt_handler};
use super::stdout::outln;
use super::{EXIT_FAILURE, EXIT_INTERRUPTED};
use crate::cache::StoreLock;
use crate::exec::slurm::{Resources, Slurm, SlurmSettings};
use crate::exec::{RunOptions, State, run as run_plan, status};
use crate::share::{Lockfile, RunFacts};

pub fn run(args: RunArgs) -> u8 {
    let Ok(Session {
        front: f,
        device,
        store,
        records_path,
        records,
        lock_path,
    }) = session(&args.pipeline, &args.cache)
    else {
        return EXIT_FAILURE;
    };
    if args.dry_run {
        let states = status(&f.plan, &store, &records, &device);
        let to_run: Vec<_> = states.iter().filter(|s| s.state != State::Cached).collect();
        for s in &to_run {
            let reasons: Vec<String> = s.reasons.iter().map(|r| r.to_string()).collect();
            outln!("would run  {}  ({})", s.name, reasons.join("; "));
        }
        outln!("{} to run, {} cached", to_run.len(), states.len() - to_run.len());
        return 0;
    }
    let Ok(slurm_settings) = slurm_settings(&args.slurm, &f.pipeline) else {
        return EXIT_FAILURE;
    };
    let jobs = args.jobs.unwrap_or_else(|| {
        if slurm_settings.is_some() {
            // Stages in flight on the cluster at once.
            256
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    });
    if jobs == 0 {
        eprintln!("error: --jobs must be at least 1");
        return EXIT_FAILURE;
    }
    if f.plan.instances.iter().any(|i| i.op.uses_device()) {
        eprintln!("device: {device}");
    }
    // Shared with other runs; `rnx gc` waits for it, so it never removes what this run commits.
    let _store_lock = match StoreLock::shared(&store) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            return EXIT_FAILURE;
        }
    };
    store.clean_staging();
    install_interrupt_handler();
    let display = Display::new();
    let slurm = match slurm_settings {
        None => None,
        Some(settings) => match Slurm::new(settings, &store, &f.pipeline.name) {
            Ok(s) => {
                eprintln!("executor: slurm (jobs named {})", s.job_name());
                Some(s)
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_FAILURE;
            }
        },
    };
    let options = RunOptions {
        jobs,
        device: device.clone(),
        slurm,
    };
    let summary = run_plan(&f.plan, &f.pipeline.sources, &store, &records, &options, &display);
    display.finish();
    if let Err(e) = summary.records.save(&records_path) {
        eprintln!("{:?}", miette::Report::new(e));
    }
    let facts = RunFacts {
        plan: &f.plan,
        sources: &f.pipeline.sources,
        pipeline_file: &args.pipeline.file,
        profile: f.pipeline.profile.as_deref(),
        sets: &args.pipeline.sets,
        device: &device,
        records: &summary.records,
        complete: &summary.complete,
    };
    if let Err(e) = Lockfile::of_run(&facts, &lock_path).write(&lock_path) {
        eprintln!("{:?}", miette::Report::new(e));
    }
    let handler = miette::GraphicalReportHandler::new_themed(theme()).with_width(100);
    for failure in &summary.failed {
        let mut text = String::new();
        if handler.render_report(&mut text, failure).is_err() {
            text = failure.to_string();
        }
        eprint!("{text}");
    }
    let claims = crate::report::claims::collect(&f.plan, &store, &summary.records, &device);
    if !claims.is_empty() {
        eprintln!("claims:");
        let width = crate::report::claims::name_width(&claims);
        for line in &claims {
            eprintln!("  {}", crate::report::claims::describe(line, width));
        }
    }
    if let Some(path) = &args.report {
        super::cmd_report::write(&f.plan, &store, &device, &f.pipeline.name, &[], path);
    }
    let secs = display.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} ran, {} cached{}{}{} in {secs:.2} s (cache: {})",
        f.pipeline.name,
        summary.ran.len(),
        summary.cached,
        if summary.elsewhere > 0 {
            format!(", {} computed by another rnx", summary.elsewhere)
        } else {
            String::new()
        },
        if summary.failed.is_empty() {
            String::new()
        } else {
            format!(", {} failed", summary.failed.len())
        },
        if summary.skipped.is_empty() {
            String::new()
        } else {
            format!(", {} skipped", summary.skipped.len())
        },
        store.root().display()
    );
    if summary.interrupted {
        EXIT_INTERRUPTED
    } else if summary.ok() {
        0
    } else {
        EXIT_FAILURE
    }
}

/// The SLURM executor's settings when the run uses it: the flag, else the file's `executor`.
fn slurm_settings(args: &SlurmArgs, pipeline: &crate::check::Pipeline) -> Result<Option<SlurmSettings>, ()> {
    let executor = args.executor.as_deref().unwrap_or(&pipeline.executor);
    match executor {
        "local" => return Ok(None),
        "slurm" => {}
        other => {
            eprintln!("error: unknown executor `{other}`\n  help: use local or slurm");
            return Err(());
        }
    }
    if !(args.poll > 0.0 && args.poll.is_finite()) {
        eprintln!("error: --poll must be a positive number of seconds");
        return Err(());
    }
    let flags = Resources {
        partition: args.partition.clone(),
        account: args.account.clone(),
        time: args.time.clone(),
        memory: args.mem.clone(),
        cpus: args.cpus,
        gpus: args.gpus,
    };
    let rnx = std::env::current_exe().map_err(|e| eprintln!("error: cannot find this rnx binary: {e}"))?;
    Ok(Some(SlurmSettings {
        rnx,
        resources: Resources::from_block(&pipeline.slurm).overridden_by(&flags),
        group: args.group.max(1),
        poll: std::time::Duration::from_secs_f64(args.poll),
    }))
}
