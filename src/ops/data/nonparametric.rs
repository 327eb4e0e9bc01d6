//! `nonparametric`: a non-parametric generative model of two-item report behaviour, fitted to
//! trials and sampled for surrogate trials in any number (science.md, pipeline 3).
//!
//! The model: a response is a guess (uniform, rate g), a swap (von Mises around the non-target
//! colour, probability s(d)) or a report of the target (von Mises around the cued colour), with
//! s(d) a smooth function of the cue distance d: a Gaussian-kernel smooth of the EM swap
//! responsibilities (`analysis::swap_curve`). Surrogate trials draw new stimuli from the task and
//! responses from the fitted model; with `repeats` each stimulus gets that many responses, marked
//! by a `group` column (for moment matching).

use super::report_trials::ReportTrials;
use crate::figure::{Columns, Figure, Plot};
use crate::numerics::swap_curve;
use crate::ops::{OpError, StageContext, StageOp};
use crate::rng::wrap_angle;
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;
use std::f64::consts::PI;

pub struct Nonparametric;

static SCHEMA: OpSchema = OpSchema {
    name: "nonparametric",
    kinds: &[DeclKind::Data],
    version: 1,
    doc: "Fits swap probability as a smooth function of cue distance (kernel-smoothed EM), a von Mises emission and a guess rate to trials; samples surrogate trials.",
    inputs: &[
        InputSpec {
            name: "data",
            accepts: &[DeclKind::Data],
            required: true,
            many: false,
            doc: "Trials to fit: a `trials` table with loc_0, loc_1, col_0, col_1, cued and response (from `swap_mixture` or `load`).",
            reads: &[super::report_trials::TRIALS],
        },
        InputSpec {
            name: "task",
            accepts: &[DeclKind::Task],
            required: true,
            many: false,
            doc: "The task whose stimuli the surrogate trials use (`working_memory` with two items).",
            reads: &[],
        },
    ],
    params: &[
        ParamSpec::new(
            "bandwidth",
            ParamType::angle(1e-3, PI),
            "15 deg",
            "Width of the Gaussian kernel that smooths the swap curve over cue distance.",
        ),
        ParamSpec::new(
            "trials",
            ParamType::int(1, 100_000_000),
            "20000",
            "Surrogate trials to draw (stimuli x repeats).",
        ),
        ParamSpec::new(
            "repeats",
            ParamType::int(1, 100_000),
            "1",
            "Responses drawn per stimulus; each stimulus's responses share a `group`.",
        ),
        ParamSpec::new(
            "grid",
            ParamType::int(2, 10_000),
            "37",
            "Points over [0, pi] at which the fitted curve is tabulated.",
        ),
    ],
    outputs: &[
        OutputSpec {
            name: "trials",
            doc: "Surrogate trials: `trial`, `group`, the task's condition columns, then response, error, swap_probability, component (as `swap_mixture` writes them).",
            columns: &[],
        },
        OutputSpec {
            name: "curve",
            doc: "The fitted swap probability on a grid of cue distances.",
            columns: &[
                ColumnSpec {
                    name: "cue_distance",
                    ty: "float64",
                    doc: "Radians.",
                },
                ColumnSpec {
                    name: "swap_probability",
                    ty: "float64",
                    doc: "Fitted probability of reporting the non-target.",
                },
            ],
        },
        OutputSpec {
            name: "fit",
            doc: "One row: fitted kappa and guess rate, bandwidth, log-likelihood, EM iterations, trials fitted.",
            columns: &[],
        },
    ],
};

static FIGURES: &[Figure] = &[
    Figure {
        title: "Fitted swap probability",
        table: "curve",
        plot: Plot::Lines {
            x: "cue_distance",
            ys: Columns::Named(&["swap_probability"]),
            group: None,
            log_y: false,
        },
        x_label: "cue distance (rad)",
        y_label: "swap probability",
    },
    super::swap_mixture::response_errors("Surrogate response errors"),
];

impl StageOp for Nonparametric {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }
    fn figures(&self) -> &'static [Figure] {
        FIGURES
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let p = ctx.params;
        let (bandwidth, n, repeats, grid) = (
            p.f64("bandwidth")?,
            p.usize("trials")?,
            p.usize("repeats")?,
            p.usize("grid")?,
        );
        let from = ctx.stage_input("data")?;
        let observed = ReportTrials::from_table(&ctx.read_table(from, "trials")?, &from.stage)?;
        ctx.progress(0, 2, "fitting the swap curve");
        let fit = swap_curve::fit(
            &observed.response,
            &observed.target,
            &observed.non_target,
            &observed.cue_distance,
            bandwidth,
        )
        .map_err(OpError::invalid)?;
        ctx.check_interrupted()?;
        ctx.progress(1, 2, "sampling surrogate trials");

        let stimuli = n.div_ceil(repeats);
        let task = ctx.task("task")?;
        let conditions = task.conditions(stimuli, "standard", &mut ctx.rng("stimuli"))?;
        let stimulus_trials = ReportTrials::from_columns(&conditions, vec![0.0; stimuli])?;
        let mut rng = ctx.rng("responses");
        let mut rows = Rows::default();
        for s in 0..stimuli {
            let d = stimulus_trials.cue_distance[s];
            let swap = fit.swap_probability(d).map_err(OpError::invalid)?;
            for _ in 0..repeats {
                let (response, component) = if rng.uniform() < fit.guess {
                    (rng.uniform_in(-PI, PI), "guess")
                } else if rng.uniform() * (1.0 - fit.guess) < swap {
                    (rng.von_mises(stimulus_trials.non_target[s], fit.kappa), "swap")
                } else {
                    (rng.von_mises(stimulus_trials.target[s], fit.kappa), "target")
                };
                rows.stimulus.push(s);
                rows.response.push(response);
                rows.error.push(wrap_angle(response - stimulus_trials.target[s]));
                rows.swap.push(swap);
                rows.component.push(component);
            }
        }

        let total = rows.stimulus.len();
        let mut table = TableBuilder::new()
            .i64("trial", (0..total as i64).collect())
            .i64("group", rows.stimulus.iter().map(|&s| s as i64).collect());
        for (name, values) in &conditions {
            if name != "condition" {
                table = table.f64(name, rows.stimulus.iter().map(|&s| values[s]).collect());
            }
        }
        let table = table
            .f64("response", rows.response)
            .f64("error", rows.error)
            .f64("swap_probability", rows.swap)
            .utf8("component", &rows.component)
            .build()?;
        ctx.write_table("trials", table)?;

        let points: Vec<f64> = (0..grid).map(|i| PI * i as f64 / (grid - 1) as f64).collect();
        let curve = fit.curve(&points).map_err(OpError::invalid)?;
        ctx.write_table(
            "curve",
            TableBuilder::new()
                .f64("cue_distance", points)
                .f64("swap_probability", curve)
                .build()?,
        )?;
        ctx.write_table(
            "fit",
            TableBuilder::new()
                .f64("kappa", vec![fit.kappa])
                .f64("guess", vec![fit.guess])
                .f64("bandwidth", vec![bandwidth])
                .f64("log_likelihood", vec![fit.log_likelihood])
                .i64("iterations", vec![fit.iterations as i64])
                .i64("trials_fitted", vec![observed.response.len() as i64])
                .build()?,
        )
    }
}

#[derive(Default)]
struct Rows {
    stimulus: Vec<usize>,
    response: Vec<f64>,
    error: Vec<f64>,
    swap: Vec<f64>,
    component: Vec<&'static str>,
}
