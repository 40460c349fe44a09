//! A YAML document as a tree of spanned nodes, built from saphyr-parser events.
//!
//! Keys stay strings (so `on:` is never the YAML 1.1 boolean), duplicate keys are kept
//! for the model builder to report, and budgets bound file size, nesting depth and alias
//! expansion so that an alias bomb is refused instead of exhausting memory.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::diagnostic::Diagnostic;
use crate::runbook::source::{SourceFile, Span};

/// Limits that keep loading bounded whatever the input.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_bytes: usize,
    pub max_nodes: usize,
    pub max_depth: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            max_bytes: 4 << 20,
            max_nodes: 200_000,
            max_depth: 64,
        }
    }
}

/// A YAML node.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A scalar; `plain` is false for quoted and block scalars (they are always strings).
    Scalar {
        value: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
}

impl Node {
    /// The scalar's text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// True for an empty plain scalar or `null`/`~`.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { value, plain: true } if value.is_empty() || value == "~" || value == "null" || value == "Null" || value == "NULL")
    }

    /// What kind of node this is, for messages.
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => "nothing (null)",
            Kind::Scalar { .. } => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    fn count(&self) -> usize {
        match &self.kind {
            Kind::Scalar { .. } => 1,
            Kind::Seq(v) => 1 + v.iter().map(Node::count).sum::<usize>(),
            Kind::Map(v) => 1 + v.iter().map(|(k, v)| k.count() + v.count()).sum::<usize>(),
        }
    }
}

enum Frame {
    Seq(Vec<Node>, Span, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Span, usize),
}

fn span_of(s: &saphyr_parser::Span) -> Span {
    let len = if s.end.line() == s.start.line() {
        s.end.col().saturating_sub(s.start.col()).max(1)
    } else {
        1
    };
    Span::new(s.start.line(), s.start.col() + 1, len)
}

/// Parse one YAML document. `Ok(None)` for an empty file.
pub fn load(file: &Arc<SourceFile>, budget: Budget) -> Result<Option<Node>, Diagnostic> {
    let err = |span: Span, code, msg: String| Diagnostic::error(file, span, code, msg);
    if file.text.len() > budget.max_bytes {
        return Err(err(
            Span::new(1, 1, 1),
            "too-large",
            format!(
                "file is {} bytes, more than the {} bytes a runbook may have",
                file.text.len(),
                budget.max_bytes
            ),
        )
        .hint("split it into smaller runbooks"));
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut docs = 0usize;
    for item in Parser::new_from_str(&file.text) {
        let (ev, raw_span) = match item {
            Ok(x) => x,
            Err(e) => {
                let m = e.marker();
                return Err(err(
                    Span::new(m.line(), m.col() + 1, 1),
                    "yaml-syntax",
                    format!("YAML syntax error: {}", e.info()),
                )
                .hint(syntax_hint(e.info())));
            }
        };
        let span = span_of(&raw_span);
        let finished: Option<(Node, usize)> = match ev {
            Event::DocumentStart(_) => {
                docs += 1;
                if docs > 1 {
                    return Err(err(span, "multiple-documents", "a file holds one runbook or inventory, but a second YAML document starts here".into())
                        .hint("remove the `---` or move the second document to its own file"));
                }
                None
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= budget.max_depth {
                    return Err(err(
                        span,
                        "too-deep",
                        format!("nesting deeper than {} levels", budget.max_depth),
                    ));
                }
                stack.push(Frame::Seq(Vec::new(), span, anchor));
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= budget.max_depth {
                    return Err(err(
                        span,
                        "too-deep",
                        format!("nesting deeper than {} levels", budget.max_depth),
                    ));
                }
                stack.push(Frame::Map(Vec::new(), None, span, anchor));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, s, anchor)) => Some((
                    Node {
                        kind: Kind::Seq(items),
                        span: s,
                    },
                    anchor,
                )),
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(items, _, s, anchor)) => Some((
                    Node {
                        kind: Kind::Map(items),
                        span: s,
                    },
                    anchor,
                )),
                _ => None,
            },
            Event::Scalar(value, style, anchor, tag) => {
                let quoted_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let plain = matches!(style, ScalarStyle::Plain) && !quoted_tag;
                let mut span = span;
                if !plain && !matches!(style, ScalarStyle::Plain) && span.len > 1 {
                    // Point at the text, not the opening quote or block indicator.
                    if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) {
                        span = span.shifted(1, span.len.saturating_sub(2).max(1));
                    }
                }
                Some((
                    Node {
                        kind: Kind::Scalar {
                            value: value.into_owned(),
                            plain,
                        },
                        span,
                    },
                    anchor,
                ))
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => {
                    nodes += n.count();
                    if nodes > budget.max_nodes {
                        return Err(err(
                            span,
                            "alias-budget",
                            format!(
                                "aliases expand to more than {} nodes (an alias bomb?)",
                                budget.max_nodes
                            ),
                        )
                        .hint("use fewer nested aliases"));
                    }
                    let mut n = n.clone();
                    n.span = span;
                    Some((n, 0))
                }
                None => {
                    return Err(err(
                        span,
                        "yaml-syntax",
                        "alias to an unknown anchor".into(),
                    ));
                }
            },
            _ => None,
        };
        if let Some((node, anchor)) = finished {
            nodes += 1;
            if nodes > budget.max_nodes {
                return Err(err(
                    node.span,
                    "node-budget",
                    format!("more than {} YAML nodes", budget.max_nodes),
                ));
            }
            if anchor > 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                Some(Frame::Seq(items, ..)) => items.push(node),
                Some(Frame::Map(items, key, ..)) => match key.take() {
                    Some(k) => items.push((k, node)),
                    None => *key = Some(node),
                },
                None => root = Some(node),
            }
        }
    }
    Ok(root)
}

fn syntax_hint(info: &str) -> &'static str {
    if info.contains("tab") {
        "YAML indentation must use spaces, not tabs"
    } else if info.contains("quote") || info.contains("quoted") {
        "a quoted string is not closed on this line or a later one"
    } else if info.contains("mapping values") {
        "a value containing `: ` must be quoted"
    } else {
        "check indentation and quoting near here"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Option<Node>, Diagnostic> {
        load(&SourceFile::new("t.yaml", s), Budget::default())
    }

    #[test]
    fn keeps_positions_and_on_as_string() {
        let n = parse("a: 1\non: standby\n").unwrap().unwrap();
        let Kind::Map(items) = n.kind else { panic!() };
        assert_eq!(items[1].0.as_str(), Some("on"));
        assert_eq!((items[1].1.span.line, items[1].1.span.col), (2, 5));
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            s.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let e = parse(&s).unwrap_err();
        assert_eq!(e.code, "alias-budget");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let s = "[".repeat(10_000);
        let e = parse(&s).unwrap_err();
        assert!(
            e.code == "too-deep" || e.code == "yaml-syntax",
            "{}",
            e.code
        );
    }

    #[test]
    fn tab_indentation_reports_position() {
        let e = parse("a:\n\tb: 1\n").unwrap_err();
        assert_eq!(e.code, "yaml-syntax");
        assert_eq!(e.span.line, 2);
    }
}
