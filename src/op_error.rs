//! The error an operator returns; the executor attaches the stage and its declaration's span.
//!
//! It sits below `ops` and `nn` so that both may return it (`ops` re-exports it as `ops::OpError`).

use crate::table::TableError;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// Something about the stage's input or parameters that the user must fix.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("{action} `{path}`: {source}")]
    Io {
        action: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The run was interrupted (Ctrl-C); nothing is committed.
    #[error("interrupted")]
    Interrupted,
    /// A bug in rnx, not in the user's file.
    #[error("internal error: {0}")]
    Internal(String),
}

impl OpError {
    pub fn invalid(message: impl Into<String>) -> OpError {
        OpError::Invalid(message.into())
    }
    pub fn internal(message: impl Into<String>) -> OpError {
        OpError::Internal(message.into())
    }
}
