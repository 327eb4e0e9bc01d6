//! Running a `script`'s process: standard output and error into one log, the last lines of
//! standard error kept for the error message, and the process killed when the run is interrupted.

use crate::ops::OpError;
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

/// How many lines of standard error a failure quotes.
pub const TAIL_LINES: usize = 20;
/// Longer lines are cut in the quoted tail (the log keeps them whole).
const TAIL_LINE_CHARS: usize = 400;

/// How the process ended.
pub struct Ended {
    pub status: ExitStatus,
    /// The last lines of its standard error.
    pub stderr_tail: Vec<String>,
}

/// Runs `command` to its end, appending its output to `log`. `interrupted` is polled while it
/// runs; when it turns true the process is killed and `OpError::Interrupted` returned.
pub fn run(mut command: Command, log: &Path, interrupted: &dyn Fn() -> bool) -> Result<Ended, OpError> {
    let io = |action: &'static str| {
        move |source| OpError::Io {
            action,
            path: log.to_path_buf(),
            source,
        }
    };
    let log_file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(io("create"))?;
    let stdout = log_file.try_clone().map_err(io("open"))?;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| spawn_error(&command, e))?;
    let Some(stderr) = child.stderr.take() else {
        kill(&mut child);
        return Err(OpError::internal("the script's standard error was not captured"));
    };
    let reader = std::thread::spawn(move || copy_keeping_tail(stderr, log_file));
    let status = loop {
        if interrupted() {
            // The reader ends by itself once nothing holds standard error open; a program the
            // script started may still hold it, so it is not waited for.
            kill(&mut child);
            return Err(OpError::Interrupted);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                kill(&mut child);
                return Err(OpError::internal(format!("waiting for the script: {e}")));
            }
        }
    };
    let stderr_tail = reader
        .join()
        .map_err(|_| OpError::internal("the thread reading the script's standard error panicked"))?;
    if interrupted() {
        return Err(OpError::Interrupted);
    }
    Ok(Ended { status, stderr_tail })
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Copies standard error into the log line by line and returns its last lines.
fn copy_keeping_tail(stderr: impl std::io::Read, mut log: File) -> Vec<String> {
    let mut tail: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES + 1);
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let _ = log.write_all(&line);
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end();
                let cut: String = text.chars().take(TAIL_LINE_CHARS).collect();
                tail.push_back(if cut.len() < text.len() {
                    format!("{cut}...")
                } else {
                    cut
                });
                if tail.len() > TAIL_LINES {
                    tail.pop_front();
                }
            }
        }
    }
    tail.into()
}

/// Why a program could not be started, in the user's terms.
fn spawn_error(command: &Command, e: std::io::Error) -> OpError {
    let program = Path::new(command.get_program()).display().to_string();
    let why = match e.kind() {
        std::io::ErrorKind::NotFound => "it does not exist".to_string(),
        std::io::ErrorKind::PermissionDenied => {
            "it is not executable (`chmod +x` it, or set `interpreter`)".to_string()
        }
        _ if e.raw_os_error() == Some(8) => {
            "it is not a program the system can run (a script needs a `#!` line, or set `interpreter`)".to_string()
        }
        _ => e.to_string(),
    };
    OpError::invalid(format!("cannot run `{program}`: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_of_stderr_and_logs_both_streams() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("echo out; i=0; while [ $i -lt 30 ]; do echo err$i >&2; i=$((i+1)); done; exit 3");
        let ended = run(c, &log, &|| false).unwrap();
        assert_eq!(ended.status.code(), Some(3));
        assert_eq!(ended.stderr_tail.len(), TAIL_LINES);
        assert_eq!(ended.stderr_tail.last().map(String::as_str), Some("err29"));
        assert_eq!(ended.stderr_tail[0], "err10");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.contains("out\n") && text.contains("err0\n") && text.contains("err29\n"),
            "{text}"
        );
    }

    #[test]
    fn an_interruption_kills_the_process() {
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let mut c = Command::new("sleep");
        c.arg("30");
        let flag = std::sync::atomic::AtomicBool::new(false);
        let result = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            run(c, &dir.path().join("log"), &|| {
                flag.load(std::sync::atomic::Ordering::SeqCst)
            })
        });
        assert!(matches!(result, Err(OpError::Interrupted)));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_missing_program_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let c = Command::new(dir.path().join("nope"));
        let err = run(c, &dir.path().join("log"), &|| false).err().unwrap().to_string();
        assert!(err.contains("does not exist"), "{err}");
    }
}
