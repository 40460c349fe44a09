//! The character-level scanning behind `place`: template slots, what a
//! `$` opens, word starts, here-document operators and here-document bodies.

use super::{CLOSE, Ctx, Heredoc, OPEN};

/// The slot number at `chars[i] == OPEN`, and the index after its CLOSE.
pub(super) fn slot(chars: &[char], i: usize) -> Result<(usize, usize), String> {
    let end = chars[i + 1..]
        .iter()
        .position(|&c| c == CLOSE)
        .ok_or("unterminated template slot")?
        + i
        + 1;
    let n: String = chars[i + 1..end].iter().collect();
    Ok((n.parse().map_err(|_| "bad template slot")?, end + 1))
}

/// After a `$` at `i`: `$(`, `$((`, `${` and `$'` open a context. Returns the index of
/// the last char consumed.
pub(super) fn open_dollar(
    chars: &[char],
    i: usize,
    stack: &mut Vec<Ctx>,
    out: &mut String,
    display: &mut String,
) -> usize {
    let in_double = matches!(stack.last(), Some(Ctx::Double));
    match chars.get(i + 1) {
        Some('(') => {
            out.push('(');
            display.push('(');
            stack.push(Ctx::Plain {
                parens: 0,
                backtick: false,
            });
            i + 1
        }
        Some('{') => {
            out.push('{');
            display.push('{');
            stack.push(Ctx::Param);
            i + 1
        }
        Some('\'') if !in_double => {
            out.push('\'');
            display.push('\'');
            stack.push(Ctx::DollarSingle);
            i + 1
        }
        _ => i,
    }
}

/// A `#` starts a comment only at the start of a word.
pub(super) fn word_start(chars: &[char], i: usize) -> bool {
    i == 0
        || matches!(
            chars[i - 1],
            ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')'
        )
}

/// Parse `<<WORD`, `<<-WORD`, `<<'WORD'`, `<<"WORD"`, `<<\WORD` at `i`.
pub(super) fn heredoc_op(chars: &[char], i: usize) -> (Option<Heredoc>, usize) {
    let mut j = i + 2;
    let strip_tabs = chars.get(j) == Some(&'-');
    if strip_tabs {
        j += 1;
    }
    while matches!(chars.get(j), Some(' ' | '\t')) {
        j += 1;
    }
    let mut delim = String::new();
    let mut quoted = false;
    while let Some(&c) = chars.get(j) {
        match c {
            '\'' | '"' => {
                quoted = true;
                let close = c;
                j += 1;
                while let Some(&d) = chars.get(j) {
                    j += 1;
                    if d == close {
                        break;
                    }
                    delim.push(d);
                }
            }
            '\\' => {
                quoted = true;
                j += 1;
                if let Some(&d) = chars.get(j) {
                    delim.push(d);
                    j += 1;
                }
            }
            c if c.is_whitespace() || ";&|<>()".contains(c) => break,
            c => {
                delim.push(c);
                j += 1;
            }
        }
    }
    if delim.is_empty() {
        return (None, j.max(i + 2));
    }
    (
        Some(Heredoc {
            delim,
            quoted,
            strip_tabs,
        }),
        j,
    )
}

/// Here-document bodies from `i` (the start of the line after the operator), in order.
/// Returns the index after the last terminator line.
pub(super) fn bodies(
    chars: &[char],
    mut i: usize,
    pending: &mut Vec<Heredoc>,
    values: &[String],
    out: &mut String,
    display: &mut String,
    env: &mut Vec<(String, String)>,
) -> Result<usize, String> {
    for doc in pending.drain(..) {
        loop {
            if i >= chars.len() {
                return Ok(i);
            }
            let end = chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |p| i + p);
            let line: String = chars[i..end].iter().collect();
            let bare = if doc.strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line.as_str()
            };
            if bare == doc.delim {
                out.push_str(&line);
                display.push_str(&line);
                if end < chars.len() {
                    out.push('\n');
                    display.push('\n');
                }
                i = end + 1;
                break;
            }
            let mut k = i;
            while k < end {
                if chars[k] == OPEN {
                    let (n, next) = slot(chars, k)?;
                    let value = values.get(n).ok_or("template slot out of range")?;
                    if doc.quoted {
                        if value.contains('\n') {
                            return Err(format!(
                                "a value with a line break cannot go into the quoted here-document <<'{}' safely",
                                doc.delim
                            ));
                        }
                        out.push_str(value);
                    } else {
                        let var = format!("DRCTL_V_{}", n + 1);
                        out.push_str(&format!("${{{var}}}"));
                        env.push((var, value.clone()));
                    }
                    display.push_str(value);
                    k = next;
                } else {
                    out.push(chars[k]);
                    display.push(chars[k]);
                    k += 1;
                }
            }
            if end < chars.len() {
                out.push('\n');
                display.push('\n');
            }
            i = end + 1;
        }
    }
    Ok(i)
}
