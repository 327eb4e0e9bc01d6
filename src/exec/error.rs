//! Runtime errors, each naming the stage and pointing at its declaration.

use miette::{Diagnostic, NamedSource, SourceSpan};

/// A stage that failed, with its declaration as the source location.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("stage `{stage}` failed: {message}")]
#[diagnostic(code(rnx::exec::stage_failed))]
pub struct StageFailed {
    pub stage: String,
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("declared here")]
    pub at: SourceSpan,
    #[help]
    pub help: Option<String>,
}
