//! `rnx check FILE`: report every error, or a one-line summary of a valid pipeline.

use super::EXIT_FAILURE;
use super::args::PipelineArgs;
use super::front::front;
use super::stdout::outln;

pub fn run(args: PipelineArgs) -> u8 {
    match front(&args) {
        Ok(f) => {
            let stages = f.pipeline.decls.iter().filter(|d| d.kind.is_stage()).count();
            outln!(
                "ok: pipeline `{}`: {} declarations, {} stages, {} stage instances",
                f.pipeline.name,
                f.pipeline.decls.len(),
                stages,
                f.plan.instances.len()
            );
            0
        }
        Err(()) => EXIT_FAILURE,
    }
}
