//! `generalisation`: how a reaching network does on task variants it never trained on (Kao
//! 2019): per variant, the distance between the hand at the trial's end and the target, and the
//! fraction of reaches that end within a tolerance of it.

use super::network_run::NetworkRun;
use crate::ops::networks::TRAINED_NETWORK;
use crate::ops::tasks::task::TrialBatch;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Generalisation;

static SCHEMA: OpSchema = OpSchema {
    name: "generalisation",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "Endpoint error and success rate of a reaching network on each task variant (trained or not).",
    inputs: &[
        TRAINED_NETWORK,
        InputSpec::task("A reach task whose conditions give `target_x` and `target_y` (`delayed_reach`)."),
    ],
    params: &[
        ParamSpec::new(
            "variants",
            ParamType::List(&ParamType::Str),
            "[\"standard\", \"target_switch\", \"novel_targets\"]",
            "The variants to run.",
        ),
        ParamSpec::new("trials", ParamType::int(1, 1_000_000), "256", "Trials per variant."),
        ParamSpec::new(
            "tolerance",
            ParamType::float(0.0, 1e6),
            "0.2",
            "A reach succeeds when it ends within this fraction of the target's distance from the start.",
        ),
    ],
    outputs: &[
        OutputSpec {
            name: "variants",
            doc: "One row per variant.",
            columns: &[
                ColumnSpec {
                    name: "variant",
                    ty: "utf8",
                    doc: "The task variant.",
                },
                ColumnSpec {
                    name: "endpoint_error",
                    ty: "float64",
                    doc: "Mean distance from the hand at the trial's last step to the target.",
                },
                ColumnSpec {
                    name: "success_rate",
                    ty: "float64",
                    doc: "Fraction of trials ending within the tolerance.",
                },
            ],
        },
        OutputSpec {
            name: "summary",
            doc: "One row: `<variant>_error` and `<variant>_success` for every variant.",
            columns: &[],
        },
    ],
};

impl StageOp for Generalisation {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn uses_device(&self) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let p = ctx.params;
        let variants = p.list_str("variants")?;
        let (n, tolerance) = (p.usize("trials")?, p.f64("tolerance")?);
        let (mut errors, mut successes) = (Vec::new(), Vec::new());
        for (i, variant) in variants.iter().enumerate() {
            ctx.check_interrupted()?;
            ctx.progress(i as u64, variants.len() as u64, variant);
            let run = NetworkRun::sample(ctx, n, variant, variant)?;
            let (error, success) = endpoints(&run.batch, &run.outputs, tolerance)?;
            errors.push(error);
            successes.push(success);
        }
        let mut summary = TableBuilder::new();
        for ((variant, e), s) in variants.iter().zip(&errors).zip(&successes) {
            summary = summary
                .f64(&format!("{variant}_error"), vec![*e])
                .f64(&format!("{variant}_success"), vec![*s]);
        }
        ctx.write_table(
            "variants",
            TableBuilder::new()
                .utf8("variant", &variants)
                .f64("endpoint_error", errors)
                .f64("success_rate", successes)
                .build()?,
        )?;
        ctx.write_table("summary", summary.build()?)
    }
}

/// Mean endpoint error and success rate: the hand at each trial's last counted step against the
/// target in the trial's conditions.
fn endpoints(b: &TrialBatch, outputs: &[f32], tolerance: f64) -> Result<(f64, f64), OpError> {
    let column = |name: &str| {
        b.conditions.get(name).ok_or_else(|| {
            OpError::invalid(format!(
                "the task's trials have no `{name}`; generalisation needs a reach task"
            ))
        })
    };
    let (tx, ty) = (column("target_x")?, column("target_y")?);
    if b.n_outputs() != 2 {
        return Err(OpError::invalid("generalisation reads a 2-D hand position"));
    }
    let (mut total, mut hits) = (0.0, 0usize);
    for trial in 0..b.n_trials {
        let last = (0..b.n_steps)
            .rev()
            .find(|&s| b.mask[(trial * b.n_steps + s) * 2] > 0.0)
            .ok_or_else(|| OpError::invalid(format!("trial {trial} has no counted step")))?;
        let row = (trial * b.n_steps + last) * 2;
        let (x, y) = (outputs[row] as f64, outputs[row + 1] as f64);
        let error = (x - tx[trial]).hypot(y - ty[trial]);
        total += error;
        if error <= tolerance * tx[trial].hypot(ty[trial]) {
            hits += 1;
        }
    }
    let n = b.n_trials.max(1) as f64;
    Ok((total / n, hits as f64 / n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::TaskOp;
    use crate::rng::Rng;

    fn reaches() -> TrialBatch {
        let params = crate::ops::default_params("delayed_reach").expect("a registered task");
        let task = crate::ops::tasks::DelayedReach.build(&params).expect("defaults build");
        task.generate(32, "novel_targets", &mut Rng::derive(4, "reaches"))
            .expect("trials")
    }

    #[test]
    fn a_perfect_reach_has_no_error_and_staying_put_misses_by_the_radius() {
        let b = reaches();
        let (error, success) = endpoints(&b, &b.targets, 0.2).unwrap();
        assert!(error < 1e-6 && success == 1.0, "{error} {success}");
        let still = vec![0f32; b.targets.len()];
        let (error, success) = endpoints(&b, &still, 0.2).unwrap();
        assert!((error - 1.0).abs() < 1e-9 && success == 0.0, "{error} {success}");
        // Ending halfway along the reach misses by half the radius: a success only with a
        // tolerance of at least one half.
        let half: Vec<f32> = b.targets.iter().map(|t| t * 0.5).collect();
        let (error, success) = endpoints(&b, &half, 0.4).unwrap();
        assert!((error - 0.5).abs() < 1e-6 && success == 0.0, "{error} {success}");
        assert_eq!(endpoints(&b, &half, 0.6).unwrap().1, 1.0);
    }
}
