//! Syntax errors, rendered by miette with the position pest stopped at.

use miette::{Diagnostic, SourceSpan};

#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
pub enum SyntaxError {
    #[error("syntax error: expected {expected}")]
    #[diagnostic(code(rnx::syntax::unexpected))]
    Unexpected {
        expected: String,
        #[label("{found}")]
        at: SourceSpan,
        found: String,
        #[help]
        help: Option<String>,
    },
    #[error("invalid number `{text}`")]
    #[diagnostic(code(rnx::syntax::number))]
    Number {
        text: String,
        #[label("cannot be read as a number")]
        at: SourceSpan,
    },
    #[error("`{found}` is written as `{path}` = value, with a declaration name and a parameter")]
    #[diagnostic(code(rnx::syntax::set), help("for example: --set fit.steps=100"))]
    BadOverride {
        found: String,
        path: String,
        #[label("expected NAME.PARAM=VALUE")]
        at: SourceSpan,
    },
}
