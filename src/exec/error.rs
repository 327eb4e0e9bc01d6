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

impl StageFailed {
    /// The failure of instance `id` of `plan`, pointing at its declaration.
    pub fn of(
        plan: &crate::plan::Plan,
        sources: &crate::source::Sources,
        id: crate::plan::InstanceId,
        message: String,
    ) -> Self {
        let (stage, span) = match plan.instances.get(id) {
            Some(inst) => (inst.name.clone(), inst.span),
            None => (
                String::new(),
                crate::source::Span::new(crate::source::SourceId(0), 0, 0),
            ),
        };
        StageFailed {
            stage,
            message,
            src: sources.named(span.source),
            at: span.miette(),
            help: None,
        }
    }
}
