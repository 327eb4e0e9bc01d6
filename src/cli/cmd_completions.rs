//! `rnx completions SHELL`: a completion script for bash, zsh, fish, elvish or PowerShell, generated
//! from the same argument declarations the parser uses, so it never falls behind the commands.

use super::args::{Cli, CompletionsArgs};
use super::stdout::out;
use clap::CommandFactory;

pub fn run(args: CompletionsArgs) -> u8 {
    let full = Cli::command();
    // Hidden commands (the SLURM `worker`) are for rnx itself; the generator would offer them.
    let visible = full.get_subcommands().filter(|c| !c.is_hide_set()).cloned();
    let mut command = clap::Command::new("rnx")
        .version(env!("CARGO_PKG_VERSION"))
        .about(full.get_about().cloned().unwrap_or_default())
        .subcommands(visible);
    // Generated into memory first: the generator panics on a write error, and a reader that
    // closes the pipe early (`rnx completions bash | head`) must end rnx quietly instead.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "rnx", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    0
}
