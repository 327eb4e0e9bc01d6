//! Operators: the things a declaration can name. One file per operator, all listed in `registry`.
//!
//! Operators see checked, resolved parameters (`Params`) and their inputs' outputs; never syntax.

pub mod analysis;
pub mod claims;
mod context;
pub mod data;
pub mod definitions;
pub mod networks;
pub mod registry;
pub mod script;
pub mod shapes;
pub mod tables;
pub mod tasks;

pub use crate::op_error::OpError;
pub use context::{Definition, InputBinding, NoProgress, ProgressSink, StageContext, StageOutput};
pub use registry::{Operator, default_params, lookup, operators};

use crate::params::Params;
use crate::schema::OpSchema;
use std::collections::BTreeMap;

/// An operator that runs as a stage (`data`, `train` or `analysis`) and writes output files.
pub trait StageOp: Sync + Send {
    fn schema(&self) -> &'static OpSchema;
    /// Runs the stage. Writes go through `ctx`, into a private folder that is committed only on success.
    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError>;
    /// Whether results depend on the device (CPU or CUDA); if so the device class joins the cache key.
    fn uses_device(&self) -> bool {
        false
    }
    /// Key material beyond the parameters: facts about this machine that change what the stage
    /// computes, such as a `script`'s interpreter version, as (label, value) pairs. Called while
    /// keying (in `exec`, never in the front end); it may run programs but must be deterministic.
    fn key_material(&self, _params: &Params) -> Result<Vec<(String, String)>, String> {
        Ok(Vec::new())
    }
    /// The tables this stage reads from its inputs, for checking before running. The default is
    /// what the schema's inputs declare; operators whose reads depend on parameters or on the
    /// definitions they are given (`definitions`, by input name) say so here.
    fn reads(&self, _params: &Params, _definitions: &BTreeMap<String, Definition>) -> Vec<shapes::TableRead> {
        shapes::declared_reads(self.schema())
    }
    /// The tables this stage writes, for checking the stages that read them. The default is the
    /// schema's outputs; `load` reads its file's schema through `files`. An `Err` is a problem
    /// with one of the stage's own parameters (a file that cannot be read).
    fn writes(
        &self,
        _params: &Params,
        _files: &dyn shapes::FileSchemas,
    ) -> Result<shapes::Writes, shapes::ParamProblem> {
        Ok(shapes::declared_writes(self.schema()))
    }
    /// The figures `rnx report` draws from this operator's tables.
    fn figures(&self) -> &'static [crate::figure::Figure] {
        &[]
    }
}

/// An operator that defines a task: a generator of trials. Used by `task` declarations.
pub trait TaskOp: Sync + Send {
    fn schema(&self) -> &'static OpSchema;
    fn build(&self, params: &Params) -> Result<Box<dyn tasks::task::Task>, OpError>;
    /// The epochs every task of this operator has, whatever its parameters, so that the checker
    /// can check `epoch` parameters of the stages that use it; `None` when only running tells.
    fn epochs(&self) -> Option<&'static [&'static str]> {
        None
    }
    /// The variants, for checking `variant` parameters; `None` when only running tells.
    fn variants(&self) -> Option<&'static [&'static str]> {
        None
    }
    /// The columns `Task::render` needs from a data table of trials, for checking a `train`
    /// stage's `data` before running; `None` when only running tells.
    fn data_columns(&self, _params: &Params) -> Option<Vec<String>> {
        None
    }
}
