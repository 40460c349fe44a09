//! Diagnostics: a problem in a runbook or inventory, with file:line:col, a hint, and
//! renderers for humans (source line with a caret) and machines (JSON).

use std::sync::Arc;

use annotate_snippets::{Level, Renderer, Snippet};
use serde::Serialize;

use crate::runbook::source::{SourceFile, Span};

/// How bad a problem is: errors fail validation, warnings only with `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a source file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `unknown-key`.
    pub code: &'static str,
    pub message: String,
    pub file: Arc<SourceFile>,
    pub span: Span,
    /// Short label under the caret.
    pub label: Option<String>,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(
        file: &Arc<SourceFile>,
        span: Span,
        code: &'static str,
        msg: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: msg.into(),
            file: file.clone(),
            span,
            label: None,
            hint: None,
        }
    }

    pub fn warning(
        file: &Arc<SourceFile>,
        span: Span,
        code: &'static str,
        msg: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(file, span, code, msg)
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// `file:line:col`
    pub fn location(&self) -> String {
        format!(
            "{}:{}:{}",
            self.file.display(),
            self.span.line,
            self.span.col
        )
    }

    /// One line: `file:line:col: error[code]: message`.
    pub fn short(&self) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut s = format!(
            "{}: {sev}[{}]: {}",
            self.location(),
            self.code,
            self.message
        );
        if let Some(h) = &self.hint {
            s.push_str(&format!(" (hint: {h})"));
        }
        s
    }

    /// Compiler-style rendering: the location and message, the source line, a caret, the hint.
    pub fn render(&self, color: bool) -> String {
        let header = format!("{}: {}", self.location(), self.message);
        let level = match self.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        };
        let text = &self.file.text;
        let mut msg = level.title(&header).id(self.code);
        // Only the line the diagnostic points at goes to the renderer, cut to a window
        // around the caret (see `window`).
        let shown: String;
        if !text.is_empty() && self.span.line > 0 {
            let start = self
                .file
                .offset(self.span.line, self.span.col)
                .min(text.len());
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
            let (line, from, cut) = window(&text[line_start..line_end], start - line_start);
            shown = line;
            let mut end = from;
            for (n, (i, c)) in shown[from..].char_indices().enumerate() {
                if n >= self.span.len.max(1) {
                    break;
                }
                end = from + i + c.len_utf8();
            }
            let label = self.label.as_deref().unwrap_or("");
            let mut snippet = Snippet::source(&shown)
                .line_start(self.span.line)
                .fold(true)
                .annotation(level.span(from..end).label(label));
            // The `-->` line counts columns in what is shown: only when nothing was cut.
            if !cut {
                snippet = snippet.origin(self.file.path.to_str().unwrap_or("<file>"));
            }
            msg = msg.snippet(snippet);
        }
        if let Some(h) = &self.hint {
            msg = msg.footer(Level::Help.title(h));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        }
        .term_width(usize::MAX / 4);
        renderer.render(msg).to_string()
    }
}

/// Widest source excerpt shown, in terminal columns. drctl cuts long lines itself and
/// gives annotate-snippets an unbounded width: its own trimming arithmetic can underflow
/// (found by fuzzing, tests/fuzz-regressions).
const MAX_SHOWN: usize = 100;

/// The part of `line` shown around byte offset `at`, with control characters (tabs, form
/// feeds) as spaces so the caret lines up, `…` where it was cut; `at` within it; and
/// whether the start was cut.
fn window(line: &str, at: usize) -> (String, usize, bool) {
    use unicode_width::UnicodeWidthChar;
    let chars: Vec<(usize, char)> = line
        .char_indices()
        .map(|(i, c)| (i, if c.is_control() { ' ' } else { c }))
        .collect();
    let w = |c: char| c.width().unwrap_or(1).max(1);
    let caret = chars
        .iter()
        .position(|(i, _)| *i >= at)
        .unwrap_or(chars.len());
    // Take up to a third of the budget before the caret, the rest after it.
    let mut lo = caret;
    let mut used = 0;
    while lo > 0 && used + w(chars[lo - 1].1) <= MAX_SHOWN / 3 {
        lo -= 1;
        used += w(chars[lo].1);
    }
    let mut hi = caret;
    while hi < chars.len() && used + w(chars[hi].1) <= MAX_SHOWN {
        used += w(chars[hi].1);
        hi += 1;
    }
    let mut shown = String::new();
    if lo > 0 {
        shown.push('…');
    }
    shown.extend(chars[lo..caret].iter().map(|(_, c)| c));
    let pos = shown.len();
    shown.extend(chars[caret..hi].iter().map(|(_, c)| c));
    if hi < chars.len() {
        shown.push('…');
    }
    (shown, pos, lo > 0)
}

/// The JSON form of a diagnostic (`drctl validate --format json`); field names are stable.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub code: &'a str,
    pub message: &'a str,
    pub hint: Option<&'a str>,
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        Self {
            file: d.file.display(),
            line: d.span.line,
            column: d.span.col,
            severity: d.severity,
            code: d.code,
            message: &d.message,
            hint: d.hint.as_deref(),
        }
    }
}

/// "did you mean `x`?" for a misspelt key or name, using Jaro-Winkler similarity.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}
