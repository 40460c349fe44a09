//! Typed reading of YAML nodes that collects every problem instead of stopping at the first:
//! unknown keys (with their path and a "did you mean"), duplicate keys, wrong types.

use std::sync::Arc;
use std::time::Duration;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::runbook::duration::parse_duration;
use crate::runbook::source::{SourceFile, Spanned};
use crate::runbook::yaml::{Kind, Node};

/// Collects diagnostics for one file.
pub struct Reader {
    pub file: Arc<SourceFile>,
    pub diags: Vec<Diagnostic>,
}

/// The checked keys of one mapping, looked up by name.
pub struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, ..)| *k == key)
            .map(|(_, _, v)| *v)
    }

    pub fn key_node(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, ..)| *k == key)
            .map(|(_, k, _)| *k)
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'n str, &'n Node, &'n Node)> + '_ {
        self.entries.iter().copied()
    }
}

impl Reader {
    pub fn new(file: Arc<SourceFile>) -> Self {
        Self {
            file,
            diags: Vec::new(),
        }
    }

    pub fn error(
        &mut self,
        node: &Node,
        code: &'static str,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::error(&self.file, node.span, code, msg));
        self.diags.last_mut().expect("just pushed")
    }

    pub fn warning(
        &mut self,
        node: &Node,
        code: &'static str,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::warning(&self.file, node.span, code, msg));
        self.diags.last_mut().expect("just pushed")
    }

    pub fn type_error(&mut self, node: &Node, path: &str, want: &str) {
        let d = self.error(
            node,
            "wrong-type",
            format!("`{path}` must be {want}, found {}", node.describe()),
        );
        d.hint = Some(format!("write `{path}` as {want}"));
    }

    /// Read a mapping whose keys must come from `known`. Unknown keys and duplicates are
    /// reported with the key's path; the known ones are returned.
    pub fn map<'n>(&mut self, node: &'n Node, path: &str, known: &[&str]) -> Option<Fields<'n>> {
        let Kind::Map(items) = &node.kind else {
            self.type_error(node, path, "a mapping");
            return None;
        };
        let mut entries: Vec<(&str, &Node, &Node)> = Vec::new();
        for (k, v) in items {
            let Some(key) = k.as_str() else {
                self.error(
                    k,
                    "wrong-type",
                    format!("keys in `{path}` must be plain names"),
                );
                continue;
            };
            if let Some((_, first, _)) = entries.iter().find(|(n, ..)| *n == key) {
                let line = first.span.line;
                self.error(
                    k,
                    "duplicate-key",
                    format!(
                        "duplicate key `{key}` in {}",
                        if path.is_empty() {
                            "the top level".to_string()
                        } else {
                            format!("`{path}`")
                        }
                    ),
                )
                .hint = Some(format!("`{key}` is already set on line {line}; keep one"));
                continue;
            }
            if !known.is_empty() && !known.contains(&key) {
                let full = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                let hint = did_you_mean(key, known.iter().copied())
                    .unwrap_or_else(|| format!("known keys here: {}", known.join(", ")));
                let d = self.error(k, "unknown-key", format!("unknown key `{full}`"));
                d.hint = Some(hint);
                d.label = Some("not a known field".into());
                continue;
            }
            entries.push((key, k, v));
        }
        Some(Fields { entries })
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<Spanned<String>> {
        match &node.kind {
            Kind::Scalar { value, .. } if !node.is_null() => {
                Some(Spanned::new(value.clone(), node.span))
            }
            _ => {
                self.type_error(node, path, "a string");
                None
            }
        }
    }

    pub fn bool(&mut self, node: &Node, path: &str) -> Option<bool> {
        match node.as_str() {
            Some("true" | "True" | "TRUE") => Some(true),
            Some("false" | "False" | "FALSE") => Some(false),
            _ => {
                self.type_error(node, path, "`true` or `false`");
                None
            }
        }
    }

    pub fn int(&mut self, node: &Node, path: &str, min: i64, max: i64) -> Option<i64> {
        let parsed = match &node.kind {
            Kind::Scalar { value, plain: true } => value.parse::<i64>().ok(),
            _ => None,
        };
        match parsed {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                self.error(
                    node,
                    "out-of-range",
                    format!("`{path}` is {n}, outside {min}..={max}"),
                )
                .hint = Some(format!("use a whole number from {min} to {max}"));
                None
            }
            None => {
                self.type_error(node, path, "a whole number");
                None
            }
        }
    }

    pub fn duration(&mut self, node: &Node, path: &str) -> Option<Spanned<Duration>> {
        let Some(s) = node.as_str().filter(|_| !node.is_null()) else {
            self.type_error(node, path, "a duration like `30s`");
            return None;
        };
        match parse_duration(s) {
            Ok(d) => Some(Spanned::new(d, node.span)),
            Err(why) => {
                self.error(node, "bad-duration", format!("bad duration for `{path}`"))
                    .hint = Some(why);
                None
            }
        }
    }

    /// A string that must be one of `choices`.
    pub fn choice(&mut self, node: &Node, path: &str, choices: &[&str]) -> Option<Spanned<String>> {
        let s = self.string(node, path)?;
        if choices.contains(&s.value.as_str()) {
            Some(s)
        } else {
            let hint = did_you_mean(&s.value, choices.iter().copied())
                .unwrap_or_else(|| format!("one of: {}", choices.join(", ")));
            self.error(
                node,
                "bad-value",
                format!("`{path}` cannot be `{}`", s.value),
            )
            .hint = Some(hint);
            None
        }
    }

    /// A string or a list of strings.
    pub fn string_list(&mut self, node: &Node, path: &str) -> Vec<Spanned<String>> {
        match &node.kind {
            Kind::Seq(items) => items.iter().filter_map(|n| self.string(n, path)).collect(),
            _ => self.string(node, path).into_iter().collect(),
        }
    }

    /// Check a name against `[a-z0-9-]+`.
    pub fn name(&mut self, s: &Spanned<String>, node: &Node, what: &str) -> bool {
        let ok = !s.value.is_empty()
            && s.value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            let suggestion: String = s
                .value
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            self.error(
                node,
                "bad-name",
                format!("{what} `{}` may only use a-z, 0-9 and -", s.value),
            )
            .hint = Some(format!("for example `{suggestion}`"));
        }
        ok
    }
}
