//! The `rnx` binary: a thin wrapper around `rnx::cli`.

/// mimalloc keeps freed memory for reuse; glibc's malloc hands large blocks back to the kernel,
/// so every multi-megabyte tensor of a training step paid its page faults again.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rnx::cli::main()
}
