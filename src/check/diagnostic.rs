//! A front-end problem located in a source file, and its rendering with miette.
//!
//! It lives in `check` because it holds a `CheckError`; syntax errors, which sit below, come in too.

use super::CheckError;
use crate::source::{SourceId, Sources};
use crate::syntax::SyntaxError;
use miette::{GraphicalReportHandler, GraphicalTheme, Report};

/// One syntax or check error in one source file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub source: SourceId,
    pub problem: Problem,
}

#[derive(Debug, Clone)]
pub enum Problem {
    Syntax(SyntaxError),
    Check(CheckError),
}

impl Diagnostic {
    pub fn syntax(source: SourceId, error: SyntaxError) -> Diagnostic {
        Diagnostic {
            source,
            problem: Problem::Syntax(error),
        }
    }
    pub fn check(source: SourceId, error: CheckError) -> Diagnostic {
        Diagnostic {
            source,
            problem: Problem::Check(error),
        }
    }

    /// A miette report carrying the source text, ready to print.
    pub fn report(&self, sources: &Sources) -> Report {
        let named = sources.named(self.source);
        match &self.problem {
            Problem::Syntax(e) => Report::new(e.clone()).with_source_code(named),
            Problem::Check(e) => Report::new(e.clone()).with_source_code(named),
        }
    }

    /// The one-line message, without source context.
    pub fn message(&self) -> String {
        match &self.problem {
            Problem::Syntax(e) => e.to_string(),
            Problem::Check(e) => e.to_string(),
        }
    }
}

/// Renders diagnostics as plain text (no colour), as tests and non-terminal output show them.
pub fn render_plain(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    render(diagnostics, sources, GraphicalTheme::unicode_nocolor())
}

/// Renders diagnostics with the given theme, separated by blank lines.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, theme: GraphicalTheme) -> String {
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in diagnostics {
        let report = d.report(sources);
        let mut text = String::new();
        if handler.render_report(&mut text, report.as_ref()).is_err() {
            text = d.message();
        }
        out.push_str(&text);
        out.push('\n');
    }
    out
}
