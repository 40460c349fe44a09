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

mod scan;
use scan::{bodies, heredoc_op, open_dollar, slot, word_start};

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
