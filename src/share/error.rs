//! Errors of packing, unpacking, verifying and reading lock files.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ShareError {
    #[error("cannot {action} `{path}`: {source}")]
    #[diagnostic(code(rnx::share::io))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a readable rnx lock file: {reason}")]
    #[diagnostic(code(rnx::share::lock), help("`rnx run` writes it beside the pipeline file"))]
    BadLock { path: PathBuf, reason: String },
    #[error("`{path}` is not a valid rnx pack: {reason}")]
    #[diagnostic(
        code(rnx::share::pack),
        help("nothing was written; ask the sender for a fresh copy (`rnx pack`)")
    )]
    BadPack { path: PathBuf, reason: String },
    #[error("cannot unpack into `{dir}`: {reason}")]
    #[diagnostic(code(rnx::share::target), help("unpack into an empty or new folder"))]
    Target { dir: PathBuf, reason: String },
    #[error("cannot pack: {reason}")]
    #[diagnostic(code(rnx::share::incomplete))]
    CannotPack {
        reason: String,
        #[help]
        help: Option<String>,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cache(#[from] crate::cache::CacheError),
}

impl ShareError {
    pub fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> ShareError {
        ShareError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn bad_pack(path: &std::path::Path, reason: impl Into<String>) -> ShareError {
        ShareError::BadPack {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
