//! The `rnx` binary: a thin wrapper around `rnx::cli`.

fn main() -> std::process::ExitCode {
    rnx::cli::main()
}
