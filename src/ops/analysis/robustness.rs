//! `robustness`: the task's performance as extra Gaussian noise grows on the inputs and,
//! optionally, on the recurrent units (science.md, "Analyses shared by all pipelines").

use crate::nn::choose_device;
use crate::nn::ctrnn::Noise;
use crate::ops::train::{TRAINED_NETWORK, load_network, run_network};
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Robustness;

static SCHEMA: OpSchema = OpSchema {
    name: "robustness",
    kinds: &[DeclKind::Analysis],
    version: 1,
    doc: "Task performance per level of extra input noise (and optionally recurrent noise), many trials per level.",
    inputs: &[
        TRAINED_NETWORK,
        InputSpec {
            name: "task",
            accepts: &[DeclKind::Task],
            required: true,
            many: false,
            doc: "The task to test it on.",
        },
    ],
    params: &[
        ParamSpec::new(
            "input_noise",
            ParamType::List(&ParamType::Float { min: 0.0, max: 100.0 }),
            "[0, 0.05, 0.1, 0.2, 0.4]",
            "Standard deviations of extra input noise.",
        ),
        ParamSpec::new(
            "recurrent_noise",
            ParamType::List(&ParamType::Float { min: 0.0, max: 100.0 }),
            "[]",
            "Standard deviations of extra recurrent noise (none by default).",
        ),
        ParamSpec::new("trials", ParamType::int(1, 1_000_000), "256", "Trials per noise level."),
        ParamSpec::new("variant", ParamType::Str, "\"standard\"", "Which variant of the task."),
    ],
    outputs: &[OutputSpec {
        name: "robustness",
        doc: "One row per noise kind and level; then one float64 column per task metric (every task has mse and r2).",
        columns: &[
            ColumnSpec {
                name: "noise",
                ty: "utf8",
                doc: "`input` or `recurrent`.",
            },
            ColumnSpec {
                name: "level",
                ty: "float64",
                doc: "The extra noise's standard deviation.",
            },
        ],
    }],
};

impl StageOp for Robustness {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn uses_device(&self) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let p = ctx.params;
        let (trials, variant) = (p.usize("trials")?, p.str("variant")?.to_string());
        let mut levels: Vec<(&str, f64)> = p.list_f64("input_noise")?.into_iter().map(|l| ("input", l)).collect();
        levels.extend(p.list_f64("recurrent_noise")?.into_iter().map(|l| ("recurrent", l)));
        let device = choose_device(ctx.device)?;
        let net = load_network(ctx, ctx.stage_input("network")?, &device)?;
        let task = ctx.task("task")?;
        // Every level sees the same trials, so the curve measures the noise and nothing else.
        let batch = task.generate(trials, &variant, &mut ctx.rng("trials"))?;
        let mut kinds = Vec::new();
        let mut values = Vec::new();
        let mut metric_columns: Vec<(String, Vec<f64>)> = Vec::new();
        for (i, (kind, level)) in levels.iter().enumerate() {
            ctx.check_interrupted()?;
            ctx.progress(i as u64, levels.len() as u64, &format!("{kind} noise {level}"));
            let noise = if *kind == "input" {
                Noise {
                    input: *level,
                    recurrent: 0.0,
                }
            } else {
                Noise {
                    input: 0.0,
                    recurrent: *level,
                }
            };
            let (outputs, _) = run_network(&net, &batch, noise, &mut ctx.rng(&format!("noise-{kind}-{i}")))?;
            for (m, (name, value)) in task.metrics(&batch, &outputs).into_iter().enumerate() {
                if metric_columns.len() <= m {
                    metric_columns.push((name, Vec::new()));
                }
                metric_columns[m].1.push(value);
            }
            kinds.push(kind.to_string());
            values.push(*level);
        }
        let mut t = TableBuilder::new().utf8("noise", &kinds).f64("level", values);
        for (name, column) in metric_columns {
            t = t.f64(&name, column);
        }
        ctx.write_table("robustness", t.build()?)
    }
}
