//! `recordings`: a teacher task's whole population written out, one noise-free trial per
//! condition of each variant: every unit's rate, the EMG and the inputs, per condition and time.

use crate::ops::tasks::task::Recordings as TaskRecordings;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;

pub struct Recordings;

/// The leading columns of both tables.
const KEYS: [ColumnSpec; 4] = [
    ColumnSpec {
        name: "variant",
        ty: "utf8",
        doc: "The task variant (trained-on `standard`, or held out).",
    },
    ColumnSpec {
        name: "condition",
        ty: "int64",
        doc: "The condition index.",
    },
    ColumnSpec {
        name: "step",
        ty: "int64",
        doc: "Time step.",
    },
    ColumnSpec {
        name: "t",
        ty: "float64",
        doc: "Seconds from trial start.",
    },
];

static SCHEMA: OpSchema = OpSchema {
    name: "recordings",
    kinds: &[DeclKind::Data],
    version: 1,
    doc: "A teacher task's population: all unit rates, EMG and inputs per variant, condition and step.",
    inputs: &[InputSpec {
        name: "task",
        accepts: &[DeclKind::Task],
        required: true,
        many: false,
        doc: "A task with a simulated population (`reach_teacher`).",
        reads: &[],
    }],
    params: &[ParamSpec::new(
        "variants",
        ParamType::List(&ParamType::Str),
        "[\"standard\", \"held_out\"]",
        "The variants to record.",
    )],
    outputs: &[
        OutputSpec {
            name: "rates",
            doc: "variant, condition, step, t, then one float32 column u_k per teacher unit.",
            columns: &KEYS,
        },
        OutputSpec {
            name: "behaviour",
            doc: "variant, condition, step, t, then in_* (inputs) and target_* (EMG), float32.",
            columns: &KEYS,
        },
    ],
};

impl StageOp for Recordings {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let variants = ctx.params.list_str("variants")?;
        if variants.is_empty() {
            return Err(OpError::invalid("`variants` names no variant to record"));
        }
        if let Some(twice) = variants.iter().enumerate().find(|(i, v)| variants[..*i].contains(v)) {
            return Err(OpError::invalid(format!("`variants` names `{}` twice", twice.1)));
        }
        let task = ctx.task("task")?;
        let recorded: Vec<(String, TaskRecordings)> = variants
            .iter()
            .map(|v| Ok((v.clone(), task.recordings(v)?)))
            .collect::<Result<_, OpError>>()?;
        let (rates, behaviour) = tables(&recorded)?;
        ctx.write_table("rates", rates)?;
        ctx.write_table("behaviour", behaviour)
    }
}

/// Both tables, all variants stacked.
fn tables(
    recorded: &[(String, TaskRecordings)],
) -> Result<(arrow_array::RecordBatch, arrow_array::RecordBatch), OpError> {
    let first = &recorded[0].1;
    let (units, n_in, n_out) = (first.units, first.batch.n_inputs(), first.batch.n_outputs());
    let (mut variant, mut condition, mut step, mut time) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut unit_columns = vec![Vec::new(); units];
    let mut input_columns = vec![Vec::new(); n_in];
    let mut target_columns = vec![Vec::new(); n_out];
    for (name, rec) in recorded {
        let b = &rec.batch;
        if rec.units != units || b.n_inputs() != n_in || b.n_outputs() != n_out {
            return Err(OpError::invalid("the task's variants have different shapes"));
        }
        for c in 0..b.n_trials {
            for s in 0..b.n_steps {
                let row = c * b.n_steps + s;
                variant.push(name.as_str());
                condition.push(b.condition[c]);
                step.push(s as i64);
                time.push(s as f64 * b.dt);
                for (u, column) in unit_columns.iter_mut().enumerate() {
                    column.push(rec.rates[row * units + u]);
                }
                for (k, column) in input_columns.iter_mut().enumerate() {
                    column.push(b.inputs[row * n_in + k]);
                }
                for (k, column) in target_columns.iter_mut().enumerate() {
                    column.push(b.targets[row * n_out + k]);
                }
            }
        }
    }
    let keys = || {
        TableBuilder::new()
            .utf8("variant", &variant)
            .i64("condition", condition.clone())
            .i64("step", step.clone())
            .f64("t", time.clone())
    };
    let mut rates = keys();
    for (u, column) in unit_columns.into_iter().enumerate() {
        rates = rates.f32(&format!("u_{u}"), column);
    }
    let mut behaviour = keys();
    for (name, column) in first.batch.input_names.iter().zip(input_columns) {
        behaviour = behaviour.f32(&format!("in_{name}"), column);
    }
    for (name, column) in first.batch.output_names.iter().zip(target_columns) {
        behaviour = behaviour.f32(&format!("target_{name}"), column);
    }
    Ok((rates.build()?, behaviour.build()?))
}
