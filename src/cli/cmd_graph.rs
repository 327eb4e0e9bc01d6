//! `rnx graph FILE [--mermaid]`: the stage-instance DAG as DOT or Mermaid, on stdout.

use super::EXIT_FAILURE;
use super::args::GraphArgs;
use super::front::front;
use super::stdout::out;

pub fn run(args: GraphArgs) -> u8 {
    match front(&args.pipeline) {
        Ok(f) => {
            out!(
                "{}",
                if args.mermaid {
                    f.plan.to_mermaid()
                } else {
                    f.plan.to_dot()
                }
            );
            0
        }
        Err(()) => EXIT_FAILURE,
    }
}
