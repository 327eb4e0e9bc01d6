//! Writing a command's data to standard output. A reader that closes the pipe early
//! (`rnx show ... | head -1`) ends the process quietly, as for any Unix filter, instead of a panic.

use std::io::Write;

/// Writes formatted text to standard output; exits with 0 on a closed pipe and with 1 (after a
/// message on standard error) on any other write error.
pub fn write(args: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

/// `print!` to standard output through [`write`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::stdout::write(format_args!($($arg)*)) };
}

/// `println!` to standard output through [`write`].
macro_rules! outln {
    () => { $crate::cli::stdout::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::stdout::write(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {out, outln};
