//! The command-line interface. The only module that prints: stdout carries data, stderr logs and progress.

mod args;
mod bench_tasks;
mod bench_train;
mod cmd_bench;
mod cmd_cache;
mod cmd_check;
mod cmd_claims;
mod cmd_completions;
mod cmd_diff;
mod cmd_gc;
mod cmd_graph;
mod cmd_ops;
mod cmd_pack;
mod cmd_report;
mod cmd_run;
mod cmd_show;
mod cmd_status;
mod cmd_unpack;
mod cmd_verify;
mod cmd_worker;
mod front;
mod progress;
mod stdout;
mod table_print;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

/// Exit status for an invalid file, a failed stage or bad input.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status when the run was interrupted with Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(a) => cmd_check::run(a),
        Command::Run(a) => cmd_run::run(a),
        Command::Status(a) => cmd_status::run(a),
        Command::Graph(a) => cmd_graph::run(a),
        Command::Show(a) => cmd_show::run(a),
        Command::Claims(a) => cmd_claims::run(a),
        Command::Ops(a) => cmd_ops::run(a),
        Command::Bench(a) => cmd_bench::run(a),
        Command::Report(a) => cmd_report::run(a),
        Command::Pack(a) => cmd_pack::run(a),
        Command::Unpack(a) => cmd_unpack::run(a),
        Command::Verify(a) => cmd_verify::run(a),
        Command::Gc(a) => cmd_gc::run(a),
        Command::Cache(c) => cmd_cache::run(c),
        Command::Diff(a) => cmd_diff::run(a),
        Command::Completions(a) => cmd_completions::run(a),
        Command::Worker(a) => cmd_worker::run(a),
    };
    ExitCode::from(code)
}
