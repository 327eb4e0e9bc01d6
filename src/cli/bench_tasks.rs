//! `rnx bench tasks`: trials per second of a task written in the language against the built-in
//! operator for the same task: `tasks/centre_out_reach.rnx` against `delayed_reach`, both drawing
//! batches of the same size, in alternating rounds so both see the same share of machine noise.

use super::EXIT_FAILURE;
use super::args::BenchArgs;
use super::stdout::out;
use crate::ops::tasks::task::Task;
use crate::ops::{Operator, lookup};
use crate::plan::PlannedInput;
use crate::rng::Rng;
use std::time::Instant;

/// The library file, compiled in so the benchmark runs from any folder.
const LIBRARY_TASK: &str = include_str!("../../tasks/centre_out_reach.rnx");
/// Trials per generated batch, as `train` draws them at its default batch size and beyond.
const BATCH: usize = 256;

pub fn run(args: &BenchArgs) -> u8 {
    let (declared, builtin) = match (library_task(), builtin_task()) {
        (Ok(d), Ok(b)) => (d, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let batches = args.iters.max(1);
    eprintln!(
        "{} rounds of {batches} batches of {BATCH} trials each, alternating the two tasks",
        args.rounds.max(1)
    );
    let mut rates = (Vec::new(), Vec::new());
    for round in 0..args.rounds.max(1) {
        for (which, task) in [(0, &declared), (1, &builtin)] {
            let mut rng = Rng::derive(round as u64, "bench-tasks");
            let start = Instant::now();
            let mut steps = 0usize;
            for _ in 0..batches {
                match task.generate(BATCH, "standard", &mut rng) {
                    Ok(batch) => steps += batch.n_steps,
                    Err(e) => {
                        eprintln!("error: drawing trials failed: {e}");
                        return EXIT_FAILURE;
                    }
                }
            }
            let rate = (batches * BATCH) as f64 / start.elapsed().as_secs_f64();
            std::hint::black_box(steps);
            if which == 0 {
                rates.0.push(rate);
            } else {
                rates.1.push(rate);
            }
        }
    }
    let (lib, op) = (median(&mut rates.0), median(&mut rates.1));
    out!(
        "{:<34} {:>14}\n{:<34} {:>14.0}\n{:<34} {:>14.0}\nratio (language / operator): {:.2} of the operator's trials per second\n",
        "task",
        "trials/s",
        "centre_out_reach (language)",
        lib,
        "delayed_reach (operator)",
        op,
        lib / op
    );
    0
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The library task, through the ordinary front end.
fn library_task() -> Result<Box<dyn Task>, String> {
    let text = format!("{LIBRARY_TASK}\ndata look = trials(centre_out_reach) {{ n = 1 }}\n");
    let mut sources = crate::source::Sources::default();
    let id = sources.add(crate::source::SourceFile {
        name: "centre_out_reach.rnx".into(),
        path: None,
        text: text.clone().into(),
    });
    let module = crate::syntax::parse_module(id, &text).map_err(|_| "the library task does not parse".to_string())?;
    let pipeline = crate::check::check(&sources, &[module], &Default::default())
        .map_err(|_| "the library task does not check".to_string())?;
    let plan = crate::plan::plan(&pipeline);
    let def = plan
        .instances
        .iter()
        .find_map(|inst| match inst.inputs.get("task") {
            Some(PlannedInput::Definition(def)) => Some(def.clone()),
            _ => None,
        })
        .ok_or("the benchmark pipeline has no task input")?;
    match lookup(&def.op) {
        Some(Operator::Task(op)) => op.build(&def.params).map_err(|e| e.to_string()),
        _ => Err(format!("`{}` is not a task operator", def.op)),
    }
}

/// `delayed_reach` with its defaults: the same epochs, durations and targets as the library file.
fn builtin_task() -> Result<Box<dyn Task>, String> {
    let params = crate::ops::default_params("delayed_reach").ok_or("no `delayed_reach` operator")?;
    match lookup("delayed_reach") {
        Some(Operator::Task(op)) => op.build(&params).map_err(|e| e.to_string()),
        _ => Err("no `delayed_reach` operator".into()),
    }
}
