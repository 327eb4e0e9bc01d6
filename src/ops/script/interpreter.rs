//! Finding a `script`'s interpreter and the version that joins its cache key, asked once per process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long `INTERPRETER --version` may take before its binary's content hash is used instead.
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// The interpreter's executable: a name looked up on `PATH`, or a path (a relative one is taken
/// from the script's folder).
pub fn resolve(interpreter: &str, script_dir: &Path) -> Result<PathBuf, String> {
    if interpreter.contains('/') {
        let path = script_dir.join(interpreter);
        return if is_executable(&path) {
            Ok(path)
        } else if path.exists() {
            Err(format!("the interpreter `{}` is not executable", path.display()))
        } else {
            Err(format!("the interpreter `{}` does not exist", path.display()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(interpreter))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| format!("the interpreter `{interpreter}` is not on PATH"))
}

/// Whether `path` is a regular file someone may execute.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What identifies the interpreter's behaviour: the output of `INTERPRETER --version`, or where
/// that fails or prints nothing, `blake3:` and its executable's content hash. Remembered per path.
pub fn version(executable: &Path) -> Result<String, String> {
    static SEEN: OnceLock<Mutex<BTreeMap<PathBuf, Result<String, String>>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(known) = seen.lock().ok().and_then(|m| m.get(executable).cloned()) {
        return known;
    }
    let found = ask_version(executable).map_or_else(
        || {
            crate::cache::hash_file(executable)
                .map(|h| format!("blake3:{h}"))
                .map_err(|e| format!("cannot read the interpreter `{}`: {e}", executable.display()))
        },
        Ok,
    );
    if let Ok(mut m) = seen.lock() {
        m.insert(executable.to_path_buf(), found.clone());
    }
    found
}

/// `EXECUTABLE --version`'s standard output and error, trimmed, if it succeeds in time.
fn ask_version(executable: &Path) -> Option<String> {
    let mut child = Command::new(executable)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < VERSION_TIMEOUT => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    let output = child.wait_with_output().ok()?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let text = text.trim().to_string();
    (status.success() && !text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_on_path_and_reports_missing_interpreters() {
        let sh = resolve("sh", Path::new("/")).unwrap();
        assert!(sh.is_absolute() && is_executable(&sh));
        let err = resolve("no-such-interpreter-rnx", Path::new("/")).unwrap_err();
        assert!(err.contains("not on PATH"), "{err}");
        let err = resolve("./missing/python", Path::new("/tmp")).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn a_version_is_stable_and_falls_back_to_the_binary_hash() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("fake");
        std::fs::write(&fake, "#!/bin/sh\necho 'Fake 1.2'\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(version(&fake).unwrap(), "Fake 1.2");
        let failing = dir.path().join("failing");
        std::fs::write(&failing, "#!/bin/sh\nexit 2\n").unwrap();
        std::fs::set_permissions(&failing, std::fs::Permissions::from_mode(0o755)).unwrap();
        let v = version(&failing).unwrap();
        assert!(v.starts_with("blake3:"), "{v}");
        assert_eq!(version(&failing).unwrap(), v);
    }
}
