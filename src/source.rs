//! Source files and spans: every diagnostic points into one of these.

use std::path::PathBuf;
use std::sync::Arc;

/// Identifies a source file within a `Sources` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub source: SourceId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(source: SourceId, start: usize, end: usize) -> Span {
        Span { source, start, end }
    }

    /// The span from the start of `self` to the end of `other` (both in one file).
    pub fn to(self, other: Span) -> Span {
        Span {
            source: self.source,
            start: self.start,
            end: other.end.max(self.start),
        }
    }

    pub fn miette(self) -> miette::SourceSpan {
        (self.start, self.end.saturating_sub(self.start)).into()
    }
}

/// One source text: a `.rnx` file, or a command-line override.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown in diagnostics.
    pub name: String,
    /// The file's path on disk, for resolving relative paths; `None` for command-line text.
    pub path: Option<PathBuf>,
    pub text: Arc<str>,
}

/// All source texts of one pipeline, indexed by `SourceId`.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, file: SourceFile) -> SourceId {
        self.files.push(file);
        SourceId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: SourceId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (SourceId(i as u32), f))
    }

    /// The named source miette renders for a diagnostic in file `id`.
    pub fn named(&self, id: SourceId) -> miette::NamedSource<String> {
        let file = self.get(id);
        miette::NamedSource::new(file.name.clone(), file.text.to_string())
    }

    /// 1-based line and column of a byte offset, for plain-text messages.
    pub fn line_col(&self, span: Span) -> (usize, usize) {
        let text = &self.get(span.source).text;
        let upto = &text[..span.start.min(text.len())];
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}
