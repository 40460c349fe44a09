//! Ansible's INI inventory: `[group]` host lines with `key=value` variables, `[group:vars]`,
//! `[group:children]`, comments (`#`, `;`), quoted values, `host:port` and ranges
//! (`db[1:3]`, `db[01:03]`, `[a:c]`, `[1:9:2]`).

use std::sync::Arc;

use super::{AnsibleInventory, Group};
use crate::diagnostic::Diagnostic;
use crate::runbook::inventory_vars::scalar;
use crate::runbook::source::{SourceFile, Span};

/// Content that reads as an Ansible INI inventory: a `[section]` header or a host line with
/// `ansible_*=`, no line that only YAML would write (`key:` at the start of a line), and no
/// `key = value` line outside `[group:vars]` (an INI file of another kind — credentials,
/// say — is not taken for an inventory, so none of its lines is ever quoted).
pub(crate) fn looks_like_ini(text: &str) -> bool {
    let mut header = false;
    let mut in_vars = false;
    for l in text.lines().map(str::trim) {
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if l.starts_with('[') && l.ends_with(']') && !l.contains(' ') {
            header = true;
            in_vars = l.ends_with(":vars]");
            continue;
        }
        let first = l.split_whitespace().next().unwrap_or_default();
        let second = l.split_whitespace().nth(1).unwrap_or_default();
        if !in_vars && (first.contains('=') || second.starts_with('=')) {
            return false;
        }
        if l.contains("ansible_") && l.contains('=') {
            header = true;
        } else if l.ends_with(':') || l.starts_with("- ") || l.contains(": ") && !l.contains('=') {
            return false;
        }
    }
    header
}

/// A token of a line: its text (quotes removed), whether it was quoted, its 1-based column
/// and length in characters.
struct Token {
    text: String,
    quoted: bool,
    col: usize,
    len: usize,
}

/// Split a line shell-like: whitespace separates, quotes group, `#` starting a word ends
/// the line.
fn tokens(line: &str) -> Result<Vec<Token>, (usize, String)> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        if chars[i] == '#' || chars[i] == ';' && out.is_empty() {
            break;
        }
        let start = i;
        let mut text = String::new();
        let mut quoted = false;
        while i < chars.len() && !chars[i].is_whitespace() {
            let c = chars[i];
            if c == '"' || c == '\'' {
                quoted = true;
                let open = i;
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' && c == '"' && i + 1 < chars.len() {
                        i += 1;
                    }
                    text.push(chars[i]);
                    i += 1;
                }
                if i >= chars.len() {
                    return Err((open + 1, format!("unterminated {c}quote")));
                }
                i += 1;
            } else {
                text.push(c);
                i += 1;
            }
        }
        out.push(Token {
            text,
            quoted,
            col: start + 1,
            len: i - start,
        });
    }
    Ok(out)
}

/// Expand `prefix[a:b(:step)]suffix` patterns (several brackets multiply).
pub(crate) fn expand_range(pat: &str) -> Result<Vec<String>, String> {
    let Some(open) = pat.find('[') else {
        return Ok(vec![pat.to_string()]);
    };
    let close = pat[open..]
        .find(']')
        .map(|c| open + c)
        .ok_or("`[` without `]`")?;
    let (head, body, tail) = (&pat[..open], &pat[open + 1..close], &pat[close + 1..]);
    let parts: Vec<&str> = body.split(':').collect();
    let (a, b, step) = match parts.as_slice() {
        [a, b] => (*a, *b, 1usize),
        [a, b, s] => (*a, *b, s.parse().map_err(|_| format!("bad step `{s}`"))?),
        _ => return Err(format!("`[{body}]` is not a range like [1:3] or [a:c]")),
    };
    if step == 0 {
        return Err("a range step of 0".into());
    }
    let items: Vec<String> = if let (Ok(x), Ok(y)) = (a.parse::<u64>(), b.parse::<u64>()) {
        if x > y {
            return Err(format!("`[{body}]` runs backwards"));
        }
        if y - x > 10_000 {
            return Err(format!("`[{body}]` names more than 10000 hosts"));
        }
        let width = if a.starts_with('0') && a.len() > 1 {
            a.len()
        } else {
            0
        };
        (x..=y)
            .step_by(step)
            .map(|n| format!("{n:0width$}"))
            .collect()
    } else if a.len() == 1 && b.len() == 1 && a <= b {
        let (x, y) = (a.as_bytes()[0], b.as_bytes()[0]);
        if !x.is_ascii_alphabetic() || !y.is_ascii_alphabetic() {
            return Err(format!("`[{body}]` is not a range like [1:3] or [a:c]"));
        }
        (x..=y)
            .step_by(step)
            .map(|c| (c as char).to_string())
            .collect()
    } else {
        return Err(format!("`[{body}]` is not a range like [1:3] or [a:c]"));
    };
    let mut out = Vec::new();
    for it in items {
        for rest in expand_range(tail)? {
            out.push(format!("{head}{it}{rest}"));
        }
    }
    Ok(out)
}

enum Section {
    Hosts(String),
    Children(String),
    Vars(String),
}

/// Read an INI inventory into the intermediate form; problems become diagnostics.
pub(crate) fn parse_ini(file: &Arc<SourceFile>, diags: &mut Vec<Diagnostic>) -> AnsibleInventory {
    let mut inv = AnsibleInventory::default();
    inv.groups.insert("ungrouped".into(), Group::default());
    let mut section = Section::Hosts("ungrouped".into());
    for (ln, line) in file.text.lines().enumerate() {
        let ln = ln + 1;
        let trimmed = line.trim();
        let indent = line.chars().count() - line.trim_start().chars().count();
        let span = |col: usize, len: usize| Span::new(ln, col, len.max(1));
        let err = |col, len, code, msg: String| Diagnostic::error(file, span(col, len), code, msg);
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') {
            let Some(body) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
                diags.push(err(
                    indent + 1,
                    trimmed.len(),
                    "ini-syntax",
                    "a section header must end with `]`".into(),
                ));
                continue;
            };
            let (name, kind) = body.split_once(':').unwrap_or((body, ""));
            let sp = span(indent + 2, name.chars().count());
            inv.groups.entry(name.to_string()).or_insert_with(|| Group {
                span: sp,
                ..Group::default()
            });
            section = match kind {
                "" => Section::Hosts(name.into()),
                "children" => Section::Children(name.into()),
                "vars" => Section::Vars(name.into()),
                other => {
                    diags.push(
                        err(
                            indent + 3 + name.chars().count(),
                            other.chars().count(),
                            "ini-syntax",
                            format!("`[{name}:{other}]` is not a section Ansible defines"),
                        )
                        .hint("sections are `[group]`, `[group:vars]` and `[group:children]`"),
                    );
                    Section::Vars(name.into())
                }
            };
            continue;
        }
        let toks = match tokens(line) {
            Ok(t) => t,
            Err((col, msg)) => {
                diags.push(err(col, 1, "ini-syntax", msg));
                continue;
            }
        };
        match &section {
            Section::Vars(g) => {
                // `key=value` or `key = value`.
                let Some(eq) = line.find('=') else {
                    diags.push(err(
                        indent + 1,
                        trimmed.chars().count(),
                        "ini-syntax",
                        format!("a line of `[{g}:vars]` must be `name=value`"),
                    ));
                    continue;
                };
                let key = line[..eq].trim();
                let kcol = line[..line.find(key).unwrap_or(0)].chars().count() + 1;
                let vt = tokens(&line[eq + 1..]).unwrap_or_default();
                let off = line[..eq + 1].chars().count();
                let (val, vcol, vlen, quoted) = match vt.as_slice() {
                    [] => (String::new(), off + 1, 1, false),
                    [one] => (one.text.clone(), off + one.col, one.len, one.quoted),
                    [first, .., last] => {
                        let raw = &line[eq + 1..]
                            .trim()
                            .split(" #")
                            .next()
                            .unwrap_or_default()
                            .trim()
                            .to_string();
                        (
                            raw.clone(),
                            off + first.col,
                            last.col + last.len - first.col,
                            false,
                        )
                    }
                };
                let grp = inv.groups.get_mut(g).expect("section created");
                grp.vars.push((
                    scalar(key, span(kcol, key.chars().count()), true),
                    scalar(&val, span(vcol, vlen), !quoted),
                ));
            }
            Section::Children(g) => {
                let Some(t) = toks.first() else { continue };
                if toks.len() > 1 {
                    diags.push(err(
                        toks[1].col,
                        toks[1].len,
                        "ini-syntax",
                        format!("a line of `[{g}:children]` names one group"),
                    ));
                }
                let grp = inv.groups.get_mut(g).expect("section created");
                grp.children.push((t.text.clone(), span(t.col, t.len)));
            }
            Section::Hosts(g) => {
                let Some((h, vars)) = toks.split_first() else {
                    continue;
                };
                let (pat, port) = match h.text.rsplit_once(':') {
                    Some((p, port))
                        if !p.contains('[')
                            || p.ends_with(']') && port.chars().all(|c| c.is_ascii_digit()) =>
                    {
                        if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() {
                            (p.to_string(), Some(port.to_string()))
                        } else {
                            (h.text.clone(), None)
                        }
                    }
                    _ => (h.text.clone(), None),
                };
                let names = match expand_range(&pat) {
                    Ok(n) => n,
                    Err(why) => {
                        diags.push(
                            err(
                                h.col,
                                h.len,
                                "bad-range",
                                format!("host pattern `{}`: {why}", h.text),
                            )
                            .hint("ranges look like db[1:3], db[01:10] or [a:c]"),
                        );
                        continue;
                    }
                };
                let hspan = span(h.col, h.len);
                let mut hv = Vec::new();
                if let Some(p) = &port {
                    hv.push((scalar("ansible_port", hspan, true), scalar(p, hspan, true)));
                }
                for t in vars {
                    let Some((k, v)) = t.text.split_once('=') else {
                        diags.push(
                            err(
                                t.col,
                                t.len,
                                "ini-syntax",
                                format!("`{}` is not `name=value`", t.text),
                            )
                            .hint("host variables are written `name=value` after the host name"),
                        );
                        continue;
                    };
                    let kc = k.chars().count();
                    hv.push((
                        scalar(k, span(t.col, kc), true),
                        scalar(
                            v,
                            span(t.col + kc + 1, t.len.saturating_sub(kc + 1)),
                            !t.quoted,
                        ),
                    ));
                }
                let grp = inv.groups.get_mut(g).expect("section created");
                for n in names {
                    grp.hosts.push((n.clone(), hspan));
                    let e = inv.hosts.entry(n).or_insert_with(|| (hspan, Vec::new()));
                    e.1.extend(hv.iter().cloned());
                }
            }
        }
    }
    inv
}
