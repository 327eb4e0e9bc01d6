//! `swap_curve`: the responses of a trained network (or of a behavioural data set) per
//! cue-distance bin, with the Bays mixture fitted by EM to each bin: swap rate, guess rate and
//! precision as a function of how close the two items' cue locations were (science.md, pipeline 3).
//! Given a `reference` (another `swap_curve`, e.g. of the surrogate), it also reports how far this
//! curve lies from that one, bin by bin.

use super::population::Population;
use crate::figure::{Columns, Figure, Plot};
use crate::nn::ctrnn::Noise;
use crate::numerics::mixture::{self, MixtureFit};
use crate::numerics::swap_curve::{BinFit, fit_per_bin};
use crate::ops::analysis::wide::float_column;
use crate::ops::data::report_trials::ReportTrials;
use crate::ops::{OpError, StageContext, StageOp, StageOutput};
use crate::rng::wrap_angle;
use crate::schema::{
    ColumnNeed, ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType, TableNeed,
};
use crate::table::TableBuilder;

pub struct SwapCurve;

static SCHEMA: OpSchema = OpSchema {
    name: "swap_curve",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "Samples a network's responses (or reads a data set's), fits the Bays mixture by EM per cue-distance bin: swap rate, guess rate, kappa.",
    inputs: &[
        InputSpec {
            name: "source",
            accepts: &[DeclKind::Train, DeclKind::Data],
            required: true,
            many: false,
            doc: "A `train` stage (its network is run on the task) or a data stage with a `trials` table.",
            reads: &[TableNeed {
                unless_file: Some("weights.safetensors"),
                ..crate::ops::data::report_trials::TRIALS
            }],
        },
        InputSpec {
            name: "task",
            accepts: &[DeclKind::Task],
            required: false,
            many: false,
            doc: "The two-item task to run a network on (needed for a `train` source).",
            reads: &[],
        },
        InputSpec {
            name: "reference",
            accepts: &[DeclKind::Analysis],
            required: false,
            many: false,
            doc: "Another `swap_curve` to compare with, bin by bin.",
            reads: &[TableNeed {
                table: "curve",
                columns: &[ColumnNeed::number("p_swap")],
                unless_file: None,
            }],
        },
    ],
    params: &[
        ParamSpec::new(
            "trials",
            ParamType::int(10, 10_000_000),
            "4000",
            "Trials to sample from a network (a data set's trials are all used).",
        ),
        ParamSpec::new("bins", ParamType::int(1, 100), "6", "Cue-distance bins over [0, pi]."),
        ParamSpec::new(
            "input_noise",
            ParamType::float(0.0, 100.0),
            "0",
            "Extra input noise while sampling a network.",
        ),
    ],
    outputs: &[
        OutputSpec {
            name: "responses",
            doc: "One row per trial: target, non_target, cue_distance, response (radians), error, and a network's response radius.",
            columns: &[],
        },
        OutputSpec {
            name: "curve",
            doc: "Per bin: d_low, d_high, d_centre, n, p_target, p_swap, p_guess, kappa (NaN where a bin has too few trials), and reference_p_swap.",
            columns: &[],
        },
        OutputSpec {
            name: "summary",
            doc: "One row: trials, the mixture fitted to all trials (p_target, p_swap, p_guess, kappa), p_swap in the nearest-cue bin, and curve_rmse against the reference (NaN without one).",
            columns: &[
                ColumnSpec {
                    name: "trials",
                    ty: "int64",
                    doc: "Trials fitted.",
                },
                ColumnSpec {
                    name: "p_swap",
                    ty: "float64",
                    doc: "Swap rate over all trials.",
                },
            ],
        },
    ],
};

static FIGURES: &[Figure] = &[
    Figure {
        title: "Swap rate against cue distance",
        table: "curve",
        plot: Plot::Lines {
            x: "d_centre",
            ys: Columns::Named(&["p_swap", "reference_p_swap"]),
            group: None,
            log_y: false,
        },
        x_label: "cue distance (rad)",
        y_label: "swap probability",
    },
    Figure {
        title: "Response errors",
        table: "responses",
        plot: Plot::Histogram {
            column: "error",
            bins: 36,
        },
        x_label: "response error (rad)",
        y_label: "trials",
    },
];

impl StageOp for SwapCurve {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }
    fn figures(&self) -> &'static [Figure] {
        FIGURES
    }

    fn uses_device(&self) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let bins = ctx.params.usize("bins")?;
        let source = ctx.stage_input("source")?.clone();
        let (trials, radius) = if source.files.iter().any(|f| f == "weights.safetensors") {
            sample_network(ctx, &source)?
        } else {
            let trials = ReportTrials::from_table(&ctx.read_table(&source, "trials")?, &source.stage)?;
            let n = trials.response.len();
            (trials, vec![f64::NAN; n])
        };
        ctx.check_interrupted()?;
        ctx.progress(1, 2, "fitting the mixture per bin");
        let overall = mixture::fit(
            &trials.response,
            &trials.target,
            &trials.non_target.iter().map(|&v| vec![v]).collect::<Vec<_>>(),
        )
        .map_err(OpError::invalid)?;
        let per_bin = fit_per_bin(
            &trials.response,
            &trials.target,
            &trials.non_target,
            &trials.cue_distance,
            bins,
        )
        .map_err(OpError::invalid)?;
        let reference = if ctx.has_input("reference") {
            let from = ctx.stage_input("reference")?;
            let table = ctx.read_table(from, "curve")?;
            let column = table
                .column_by_name("p_swap")
                .ok_or_else(|| OpError::invalid(format!("`{}` is not a swap_curve analysis", from.stage)))?;
            let values = float_column(column.as_ref())?;
            if values.len() != bins {
                return Err(OpError::invalid(format!(
                    "the reference `{}` has {} bins and this curve {bins}; give both the same `bins`",
                    from.stage,
                    values.len()
                )));
            }
            Some(values)
        } else {
            None
        };

        let errors: Vec<f64> = trials
            .response
            .iter()
            .zip(&trials.target)
            .map(|(r, t)| wrap_angle(r - t))
            .collect();
        let n = trials.response.len();
        ctx.write_table(
            "responses",
            TableBuilder::new()
                .i64("trial", (0..n as i64).collect())
                .f64("target", trials.target.clone())
                .f64("non_target", trials.non_target.clone())
                .f64("cue_distance", trials.cue_distance.clone())
                .f64("response", trials.response.clone())
                .f64("error", errors)
                .f64("radius", radius.clone())
                .build()?,
        )?;
        let swap_of = |b: &BinFit| b.estimate.as_ref().map_or(f64::NAN, |e| e.p_swap);
        let curve_p: Vec<f64> = per_bin.iter().map(swap_of).collect();
        let rmse = reference.as_ref().map_or(f64::NAN, |r| rms_difference(&curve_p, r));
        ctx.write_table("curve", curve_table(&per_bin, reference.as_deref(), bins)?)?;
        let mean_radius = if radius.iter().all(|r| r.is_nan()) {
            f64::NAN
        } else {
            radius.iter().sum::<f64>() / n as f64
        };
        ctx.write_table(
            "summary",
            TableBuilder::new()
                .i64("trials", vec![n as i64])
                .f64("p_target", vec![overall.p_target])
                .f64("p_swap", vec![overall.p_swap])
                .f64("p_guess", vec![overall.p_guess])
                .f64("kappa", vec![overall.kappa])
                .f64("p_swap_near", vec![curve_p.first().copied().unwrap_or(f64::NAN)])
                .f64("p_swap_far", vec![curve_p.last().copied().unwrap_or(f64::NAN)])
                .f64("curve_rmse", vec![rmse])
                .f64("mean_radius", vec![mean_radius])
                .build()?,
        )
    }
}

/// Runs the network on fresh trials; its response is the angle of its output at the last step
/// the task's loss counts, and the radius that output's length.
fn sample_network(ctx: &StageContext, source: &StageOutput) -> Result<(ReportTrials, Vec<f64>), OpError> {
    if !ctx.has_input("task") {
        return Err(OpError::invalid(
            "a swap_curve of a network needs the task to run it on: `swap_curve(net, task)`",
        ));
    }
    let noise = Noise {
        input: ctx.params.f64("input_noise")?,
        recurrent: 0.0,
    };
    ctx.progress(0, 2, "sampling responses");
    let pop = Population::sample(ctx, source, ctx.params.usize("trials")?, noise)?;
    Ok((pop.items, pop.radius))
}

fn curve_table(
    per_bin: &[BinFit],
    reference: Option<&[f64]>,
    bins: usize,
) -> Result<arrow_array::RecordBatch, OpError> {
    let field = |f: fn(&MixtureFit) -> f64| -> Vec<f64> {
        per_bin
            .iter()
            .map(|b| b.estimate.as_ref().map_or(f64::NAN, f))
            .collect()
    };
    Ok(TableBuilder::new()
        .i64("bin", (0..per_bin.len() as i64).collect())
        .f64("d_low", per_bin.iter().map(|b| b.d_low).collect())
        .f64("d_high", per_bin.iter().map(|b| b.d_high).collect())
        .f64("d_centre", per_bin.iter().map(|b| b.d_centre).collect())
        .i64("n", per_bin.iter().map(|b| b.n as i64).collect())
        .f64("p_target", field(|e| e.p_target))
        .f64("p_swap", field(|e| e.p_swap))
        .f64("p_guess", field(|e| e.p_guess))
        .f64("kappa", field(|e| e.kappa))
        .f64(
            "reference_p_swap",
            reference.map_or(vec![f64::NAN; bins], |r| r.to_vec()),
        )
        .build()?)
}

/// Root-mean-square difference over the bins where both curves have a value.
fn rms_difference(a: &[f64], b: &[f64]) -> f64 {
    let pairs: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (x - y).powi(2))
        .collect();
    if pairs.is_empty() {
        f64::NAN
    } else {
        (pairs.iter().sum::<f64>() / pairs.len() as f64).sqrt()
    }
}
