//! Cache errors: I/O failures and corrupt entries.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CacheError {
    #[error("cannot {action} `{path}`: {source}")]
    #[diagnostic(code(rnx::cache::io))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cache entry `{path}` is corrupt: {reason}")]
    #[diagnostic(
        code(rnx::cache::corrupt),
        help("it will be recomputed; `rnx gc` removes broken entries")
    )]
    Corrupt { path: PathBuf, reason: String },
}

impl CacheError {
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> CacheError {
        CacheError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}
