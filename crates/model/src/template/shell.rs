//! Values into shell commands without injection: every `{{ value }}` in a `run`,
//! `rollback` or `drill` command reaches the shell as an environment variable of the
//! command (`DRCTL_V_1`, …), referenced in the form the spot it stands in needs:
//!
//! | where the template stands | what the shell sees |
//! |---|---|
//! | a bare word, a `$(…)` or backquotes | `"${DRCTL_V_1}"` (one word) |
//! | inside the author's `"…"`, an unquoted here-document | `${DRCTL_V_1}` |
//! | inside the author's `'…'` | the value, with each `'` written `'\''` |
//! | a quoted here-document (`<<'EOF'`) | the value itself, refused if it has a newline |
//! | inside `$'…'` or `${…}` | refused (no safe form) |
//!
//! A parameter expansion's result is never parsed again for `$(…)`, backquotes or quotes,
//! so no value can run a command, and file contents written through `"…"` or a
//! here-document hold exactly the value (no stray quote characters). `| raw` opts out.

/// Marks where a value was written by the first rendering pass (private-use characters).
pub(crate) const OPEN: char = '\u{E000}';
pub(crate) const CLOSE: char = '\u{E001}';

/// A command ready to send: its text and the environment its values travel in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub env: Vec<(String, String)>,
    /// The command as the author reads it: values written in place (for plans and logs).
    pub display: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Top level, inside `$(…)` (with its paren depth) or backquotes.
    Plain {
        parens: usize,
        backtick: bool,
    },
    Double,
    Single,
    DollarSingle,
    Param,
    Comment,
}

struct Heredoc {
    delim: String,
    quoted: bool,
    strip_tabs: bool,
}

/// Turn the first pass's text (values marked by [`OPEN`]n[`CLOSE`]) into a [`Rendered`].
pub(crate) fn place(marked: &str, values: &[String]) -> Result<Rendered, String> {
    let chars: Vec<char> = marked.chars().collect();
    let mut out = String::with_capacity(marked.len());
    let mut display = String::with_capacity(marked.len());
    let mut env: Vec<(String, String)> = Vec::new();
    let mut stack = vec![Ctx::Plain {
        parens: 0,
        backtick: false,
    }];
    let mut pending: Vec<Heredoc> = Vec::new();
    let mut i = 0;
    // Copy one char to both outputs.
    macro_rules! put {
        ($c:expr) => {{
            out.push($c);
            display.push($c);
        }};
    }
    while i < chars.len() {
        let c = chars[i];
        if c == OPEN {
            let (n, next) = slot(&chars, i)?;
            let value = values.get(n).ok_or("template slot out of range")?;
            let ctx = *stack.last().expect("stack never empty");
            let var = format!("DRCTL_V_{}", n + 1);
            match ctx {
                Ctx::Plain { .. } => out.push_str(&format!("\"${{{var}}}\"")),
                Ctx::Double | Ctx::Comment => out.push_str(&format!("${{{var}}}")),
                Ctx::Single => out.push_str(&value.replace('\'', r"'\''")),
                Ctx::DollarSingle => {
                    return Err("a value cannot be placed inside $'…' safely: use \"…\"".into());
                }
                Ctx::Param => {
                    return Err("a value cannot be placed inside ${…}: use a variable".into());
                }
            }
            if !matches!(ctx, Ctx::Single) {
                env.push((var, value.clone()));
            }
            display.push_str(value);
            i = next;
            continue;
        }
        match stack.last().copied().expect("stack never empty") {
            Ctx::Single => {
                put!(c);
                if c == '\'' {
                    stack.pop();
                }
            }
            Ctx::DollarSingle => {
                put!(c);
                if c == '\\' && i + 1 < chars.len() {
                    i += 1;
                    put!(chars[i]);
                } else if c == '\'' {
                    stack.pop();
                }
            }
            Ctx::Comment => {
                if c == '\n' {
                    stack.pop();
                    continue; // the newline is handled by the context below
                }
                put!(c);
            }
            Ctx::Param => {
                put!(c);
                if c == '}' {
                    stack.pop();
                }
            }
            Ctx::Double => {
                put!(c);
                match c {
                    '\\' if i + 1 < chars.len() => {
                        i += 1;
                        put!(chars[i]);
                    }
                    '"' => {
                        stack.pop();
                    }
                    '`' => stack.push(Ctx::Plain {
                        parens: 0,
                        backtick: true,
                    }),
                    '$' => i = open_dollar(&chars, i, &mut stack, &mut out, &mut display),
                    _ => {}
                }
            }
            Ctx::Plain { parens, backtick } => match c {
                '\\' => {
                    put!(c);
                    if i + 1 < chars.len() {
                        i += 1;
                        put!(chars[i]);
                    }
                }
                '\'' => {
                    put!(c);
                    stack.push(Ctx::Single);
                }
                '"' => {
                    put!(c);
                    stack.push(Ctx::Double);
                }
                '`' => {
                    put!(c);
                    if backtick {
                        stack.pop();
                    } else {
                        stack.push(Ctx::Plain {
                            parens: 0,
                            backtick: true,
                        });
                    }
                }
                '$' => {
                    put!(c);
                    i = open_dollar(&chars, i, &mut stack, &mut out, &mut display);
                }
                '(' => {
                    put!(c);
                    if let Some(Ctx::Plain { parens, .. }) = stack.last_mut() {
                        *parens += 1;
                    }
                }
                ')' => {
                    put!(c);
                    if parens > 0 {
                        if let Some(Ctx::Plain { parens, .. }) = stack.last_mut() {
                            *parens -= 1;
                        }
                    } else if stack.len() > 1 && !backtick {
                        stack.pop(); // the end of a `$(…)`
                    }
                }
                '#' if word_start(&chars, i) => {
                    put!(c);
                    stack.push(Ctx::Comment);
                }
                '<' if chars.get(i + 1) == Some(&'<') && chars.get(i + 2) != Some(&'<') => {
                    let (doc, next) = heredoc_op(&chars, i);
                    for &ch in &chars[i..next] {
                        put!(ch);
                    }
                    pending.extend(doc);
                    i = next;
                    continue;
                }
                '\n' => {
                    put!(c);
                    if !pending.is_empty() {
                        i = bodies(
                            &chars,
                            i + 1,
                            &mut pending,
                            values,
                            &mut out,
                            &mut display,
                            &mut env,
                        )?;
                        continue;
                    }
                }
                _ => put!(c),
            },
        }
        i += 1;
    }
    Ok(Rendered {
        text: out,
        env,
        display,
    })
}

/// The slot number at `chars[i] == OPEN`, and the index after its CLOSE.
fn slot(chars: &[char], i: usize) -> Result<(usize, usize), String> {
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
fn open_dollar(
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
fn word_start(chars: &[char], i: usize) -> bool {
    i == 0
        || matches!(
            chars[i - 1],
            ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')'
        )
}

/// Parse `<<WORD`, `<<-WORD`, `<<'WORD'`, `<<"WORD"`, `<<\WORD` at `i`.
fn heredoc_op(chars: &[char], i: usize) -> (Option<Heredoc>, usize) {
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
fn bodies(
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
