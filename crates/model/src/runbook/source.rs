//! Source files and spans: every runbook token keeps its file, line and column.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A loaded source file (runbook or inventory) with the text diagnostics point into.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as given by the user (relative paths stay relative for display).
    pub path: PathBuf,
    /// The file's text; empty when the file could not be decoded.
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            path: path.into(),
            text: text.into(),
        })
    }

    /// The path for messages.
    pub fn display(&self) -> String {
        self.path.display().to_string()
    }

    /// Directory that relative paths inside this file are resolved against.
    pub fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    /// Byte offset of a 1-based line and 1-based column (in characters).
    pub fn offset(&self, line: usize, col: usize) -> usize {
        let mut off = 0;
        for (i, l) in self.text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let within: usize = l
                    .char_indices()
                    .nth(col.saturating_sub(1))
                    .map(|(b, _)| b)
                    .unwrap_or(l.trim_end_matches('\n').len());
                return off + within;
            }
            off += l.len();
        }
        self.text.len()
    }
}

/// A position range in a source file: 1-based line and column of the start, and a
/// length in characters on that line (at least 1 for rendering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub line: usize,
    pub col: usize,
    pub len: usize,
}

impl Span {
    pub fn new(line: usize, col: usize, len: usize) -> Self {
        Self { line, col, len }
    }

    /// The same span moved `chars` characters to the right (for positions inside a scalar).
    pub fn shifted(self, chars: usize, len: usize) -> Self {
        Self {
            line: self.line,
            col: self.col + chars,
            len,
        }
    }
}

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}
