//! `declared`: the task operator behind every task written in the language (`task NAME = { ... }`).
//!
//! The checker turns the body into a `trialspec::TrialSpec` and passes it, serialised, as the
//! `spec` parameter; `generate.rs` draws and renders trials from it.

mod generate;

use crate::ops::tasks::task::Task;
use crate::ops::{OpError, TaskOp};
use crate::params::Params;
use crate::schema::{DeclKind, OpSchema, ParamSpec, ParamType};
use crate::trialspec::TrialSpec;

pub use generate::DeclaredTask;

pub struct Declared;

/// The operator's name, which the checker gives every `task NAME = { ... }` declaration.
pub const NAME: &str = "declared";

/// The settings a task body may give as `NAME = VALUE` entries.
pub static SETTINGS: &[ParamSpec] = &[
    ParamSpec::new("dt", ParamType::time(1e-5, 10.0), "20 ms", "Simulation step."),
    ParamSpec::new(
        "tolerance",
        ParamType::float(0.0, 1e9),
        "0.5",
        "How close an output must be to its target to count as correct in `step_accuracy` and `final_accuracy`.",
    ),
    ParamSpec::new(
        "max_tries",
        ParamType::int(1, 1_000_000),
        "10000",
        "Draws of a trial's variables before giving up on its `require` conditions.",
    ),
];

static SCHEMA: OpSchema = OpSchema {
    name: NAME,
    kinds: &[DeclKind::Task],
    version: 1,
    doc: "A task written in the language: `task NAME = { dt = ..  var ..  epoch ..  input ..  target ..  mask .. }` (grammar/README.md, *Tasks written in the language*).",
    inputs: &[],
    params: SETTINGS,
    outputs: &[],
};

/// The parameter holding the checked body (JSON of `TrialSpec`); set by the checker only.
pub const SPEC_PARAM: &str = "spec";

impl TaskOp for Declared {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn variants(&self) -> Option<&'static [&'static str]> {
        Some(generate::VARIANTS)
    }

    /// The drawn variables, which a data table supplies in their place.
    fn data_columns(&self, p: &Params) -> Option<Vec<String>> {
        let spec: TrialSpec = serde_json::from_str(p.str(SPEC_PARAM).ok()?).ok()?;
        Some(
            spec.vars
                .into_iter()
                .filter(|v| matches!(v.def, crate::trialspec::VarDef::Draw(_)))
                .map(|v| v.name)
                .collect(),
        )
    }

    fn build(&self, p: &Params) -> Result<Box<dyn Task>, OpError> {
        let text = p.str(SPEC_PARAM)?;
        let spec: TrialSpec = serde_json::from_str(text)
            .map_err(|e| OpError::internal(format!("a declared task's checked form does not read back: {e}")))?;
        Ok(Box::new(DeclaredTask::new(
            spec,
            p.f64("dt")?,
            p.f64("tolerance")?,
            p.usize("max_tries")?,
        )))
    }
}
