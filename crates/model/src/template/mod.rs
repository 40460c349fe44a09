//! Templates (`{{ ... }}`, minijinja): values substituted into commands travel as
//! environment variables of the command (see [`shell`]) unless the template says `| raw`;
//! secrets can be rendered masked for anything shown.

mod shell;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

pub use shell::Rendered;

use minijinja::value::Value;
use minijinja::{Environment, UndefinedBehavior};

/// What secret values are replaced with wherever output is shown or stored.
pub const MASK: &str = "********";

pub use drctl_transport::shell_quote;

fn raw(v: Value) -> Value {
    Value::from_safe_string(v.to_string())
}

thread_local! {
    /// The values one command rendering wrote, in order (see [`Engine::render_command`]).
    static SLOTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn as_text(value: &Value) -> String {
    if value.is_none() {
        String::new()
    } else {
        value.to_string()
    }
}

/// `slots`: each value is written as a numbered mark and kept aside, for the shell pass;
/// otherwise values are written as they are.
fn new_env(slots: bool) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_recursion_limit(32);
    env.add_filter("raw", raw);
    if slots {
        env.set_formatter(|out, _state, value| {
            let s = as_text(value);
            let text = if value.is_safe() {
                s
            } else {
                SLOTS.with(|slots| {
                    let mut slots = slots.borrow_mut();
                    slots.push(s);
                    format!("{}{}{}", shell::OPEN, slots.len() - 1, shell::CLOSE)
                })
            };
            out.write_str(&text).map_err(minijinja::Error::from)
        });
    } else {
        env.set_formatter(|out, _state, value| {
            out.write_str(&as_text(value))
                .map_err(minijinja::Error::from)
        });
    }
    env
}

/// The two template environments: commands (values set aside for the shell pass) and text
/// (messages, paths).
pub struct Engine {
    cmd: Environment<'static>,
    text: Environment<'static>,
}

impl Default for Engine {
    fn default() -> Self {
        Self {
            cmd: new_env(true),
            text: new_env(false),
        }
    }
}

/// Whether a template is a command (shown with its values in place: [`Engine::render`];
/// run through [`Engine::render_command`]) or plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Command,
    Text,
}

impl Engine {
    fn env(&self, mode: Mode) -> &Environment<'static> {
        match mode {
            Mode::Command => &self.cmd,
            Mode::Text => &self.text,
        }
    }

    /// Filters a template applies that the engine does not have, with their byte offsets
    /// (minijinja only finds them when rendering, i.e. during the run).
    pub fn unknown_filters(&self, src: &str) -> Vec<(usize, String)> {
        let mut found = Vec::new();
        let b = src.as_bytes();
        let mut i = 0;
        let mut in_block = false;
        let mut quote: Option<u8> = None;
        while i < b.len() {
            let c = b[i];
            if !in_block {
                if c == b'{' && matches!(b.get(i + 1), Some(b'{' | b'%')) {
                    in_block = true;
                    i += 1;
                }
            } else if let Some(q) = quote {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            } else if c == b'"' || c == b'\'' {
                quote = Some(c);
            } else if (c == b'}' || c == b'%') && b.get(i + 1) == Some(&b'}') {
                in_block = false;
                i += 1;
            } else if c == b'|' {
                let mut j = i + 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                let start = j;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j > start {
                    let name = &src[start..j];
                    let probe = format!("{{{{ '' | {name} }}}}");
                    if let Err(e) = self.text.render_str(&probe, ())
                        && e.kind() == minijinja::ErrorKind::UnknownFilter
                    {
                        found.push((start, name.to_string()));
                    }
                }
                i = j;
                continue;
            }
            i += 1;
        }
        found
    }

    /// Render a template against a context. A command comes back as its author reads it,
    /// values in place (for plans and messages; what runs is [`Engine::render_command`]).
    pub fn render(&self, src: &str, mode: Mode, ctx: &Value) -> Result<String, minijinja::Error> {
        if !src.contains("{{") && !src.contains("{%") && !src.contains("{#") {
            return Ok(src.to_string());
        }
        match mode {
            Mode::Text => self.env(mode).render_str(src, ctx),
            Mode::Command => Ok(self.render_command(src, ctx)?.display),
        }
    }

    /// Render a command to run: every value becomes an environment variable of the command,
    /// referenced as the spot it stands in needs, so that no value can run a command.
    pub fn render_command(&self, src: &str, ctx: &Value) -> Result<Rendered, minijinja::Error> {
        if !src.contains("{{") && !src.contains("{%") && !src.contains("{#") {
            return Ok(Rendered {
                text: src.to_string(),
                env: Vec::new(),
                display: src.to_string(),
            });
        }
        SLOTS.with(|s| s.borrow_mut().clear());
        let marked = self.cmd.render_str(src, ctx);
        let values = SLOTS.with(|s| std::mem::take(&mut *s.borrow_mut()));
        shell::place(&marked?, &values)
            .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e))
    }

    /// Compile only: a syntax error, or the variables (dotted, e.g. `host.addr`) it uses.
    pub fn variables(&self, src: &str) -> Result<BTreeSet<String>, minijinja::Error> {
        let t = self.text.template_from_str(src)?;
        Ok(t.undeclared_variables(true).into_iter().collect())
    }

    /// Variables used by a `when:` expression.
    pub fn expr_variables(&self, src: &str) -> Result<BTreeSet<String>, minijinja::Error> {
        let e = self.text.compile_expression_owned(when_expression(src))?;
        Ok(e.undeclared_variables(true).into_iter().collect())
    }

    /// Evaluate a `when:` expression to true or false.
    pub fn eval_when(&self, src: &str, ctx: &Value) -> Result<bool, minijinja::Error> {
        let e = self.text.compile_expression_owned(when_expression(src))?;
        Ok(e.eval(ctx)?.is_true())
    }
}

/// `when:` accepts a bare expression (`mode == "drill"`) or one written with template
/// braces (`{{ mode }} == "drill"`): each `{{ x }}` becomes `(x)`.
pub fn when_expression(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        match rest[i + 2..].find("}}") {
            Some(j) => {
                out.push('(');
                out.push_str(rest[i + 2..i + 2 + j].trim());
                out.push(')');
                rest = &rest[i + 2 + j + 2..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// Replaces every known secret value in text with [`MASK`]; and seals secrets inside
/// values drctl must keep (a captured value in the journal) as `«secret:NAME»`, which
/// [`Masker::unseal`] turns back into the value given for the run.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    secrets: Vec<String>,
    /// (name, value), in the order given: a later value for a name wins when unsealing.
    named: Vec<(String, String)>,
}

impl Masker {
    /// Secrets with the names of their variables (so that they can be sealed).
    pub fn named(secrets: Vec<(String, String)>) -> Self {
        let mut m = Self::new(secrets.iter().map(|(_, v)| v.clone()));
        m.named = secrets.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        m
    }

    /// Replace each secret value in `text` by its seal.
    pub fn seal(&self, text: &str) -> String {
        let mut by_len: Vec<&(String, String)> = self.named.iter().collect();
        by_len.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        let mut out = text.to_string();
        for (name, value) in by_len {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &format!("«secret:{name}»"));
            }
        }
        out
    }

    /// Turn seals back into this run's secret values.
    pub fn unseal(&self, text: &str) -> String {
        let mut out = text.to_string();
        if !out.contains("«secret:") {
            return out;
        }
        for (name, value) in self.named.iter().rev() {
            out = out.replace(&format!("«secret:{name}»"), value);
        }
        out
    }

    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .filter(|s| !s.is_empty())
            // Each secret also in the forms drctl writes it in: shell-quoted (a `'` becomes
            // `'\''` in the exports of a command as run) and JSON-escaped.
            .flat_map(|s| {
                let quoted = s.replace('\'', r"'\''");
                let json = serde_json::to_string(&s).unwrap_or_default();
                let json = json[1..json.len().saturating_sub(1).max(1)].to_string();
                [s, quoted, json]
            })
            .filter(|s| !s.is_empty())
            .collect();
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self {
            secrets,
            named: Vec::new(),
        }
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }
}

/// The per-host part of a template context.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HostVars {
    pub name: String,
    pub addr: String,
    pub port: u16,
    pub user: String,
}

/// Build a context: run-wide values, then `host`, then per-host captured values.
pub fn context(
    base: &BTreeMap<String, Value>,
    host: Option<&HostVars>,
    captures: &BTreeMap<String, String>,
) -> Value {
    let mut m = base.clone();
    for (k, v) in captures {
        m.insert(k.clone(), Value::from(v.as_str()));
    }
    if let Some(h) = host {
        let hv: BTreeMap<&str, Value> = BTreeMap::from([
            ("name", Value::from(h.name.as_str())),
            ("addr", Value::from(h.addr.as_str())),
            ("port", Value::from(h.port)),
            ("user", Value::from(h.user.as_str())),
        ]);
        m.insert("host".into(), Value::from_pairs(hv));
    }
    Value::from_pairs(m)
}

#[cfg(test)]
mod tests;
