//! Template checks: syntax errors and undefined variables, including a `capture` used
//! before the step that sets it.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::runbook::inventory::Inventory;
use crate::runbook::model::{Action, DrillMode, Runbook};
use crate::runbook::source::{Span, Spanned};
use crate::template::Engine;
use crate::validate::inventory_names::{self as names, step_hosts};

/// Fields of `host` a template may use.
pub const HOST_FIELDS: &[&str] = &["name", "addr", "port", "user"];
/// Run-wide names every template may use.
pub const BUILTINS: &[&str] = &[
    "name", "kind", "mode", "run_id", "severity", "step", "groups", "hosts",
];

/// Filters offered in hints (the engine knows minijinja's built-ins too).
const KNOWN_FILTERS: &[&str] = &[
    "raw",
    "upper",
    "lower",
    "trim",
    "default",
    "replace",
    "join",
    "length",
    "first",
    "last",
    "int",
    "string",
    "title",
    "capitalize",
];

/// Which templated field is being checked, for messages.
struct Field<'a> {
    what: &'a str,
    src: &'a Spanned<String>,
    expr: bool,
    host: bool,
}

/// Check every template in a runbook.
pub fn check(
    rb: &Runbook,
    inv: Option<&Inventory>,
    extra: &BTreeSet<String>,
    out: &mut Vec<Diagnostic>,
) {
    let engine = Engine::default();
    let mut known: BTreeSet<String> = rb.vars.iter().map(|v| v.name.value.clone()).collect();
    known.extend(extra.iter().cloned());
    // Where each capture is set: name -> step index.
    let mut captured_at: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (i, s) in rb.steps.iter().enumerate() {
        if let Some(c) = &s.capture {
            captured_at
                .entry(c.value.as_str())
                .or_insert((i, s.id.value.as_str()));
        }
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    for (i, step) in rb.steps.iter().enumerate() {
        let mut fields: Vec<(Field, usize)> = Vec::new();
        let before = i; // captures of steps < i are visible
        match &step.action {
            Action::Run(c) => fields.push((
                Field {
                    what: "run",
                    src: c,
                    expr: false,
                    host: true,
                },
                before,
            )),
            Action::Approve(m) => fields.push((
                Field {
                    what: "approve",
                    src: m,
                    expr: false,
                    host: false,
                },
                before,
            )),
            Action::Upload(t) | Action::Download(t) => {
                fields.push((
                    Field {
                        what: "src",
                        src: &t.src,
                        expr: false,
                        host: true,
                    },
                    before,
                ));
                fields.push((
                    Field {
                        what: "dest",
                        src: &t.dest,
                        expr: false,
                        host: true,
                    },
                    before,
                ));
            }
        }
        if let Some(c) = &step.check {
            fields.push((
                Field {
                    what: "check",
                    src: &c.run,
                    expr: false,
                    host: true,
                },
                before,
            ));
        }
        if let Some(r) = &step.rollback {
            fields.push((
                Field {
                    what: "rollback",
                    src: r,
                    expr: false,
                    host: true,
                },
                i + 1,
            ));
        }
        if let DrillMode::Replace(d) = &step.drill {
            fields.push((
                Field {
                    what: "drill",
                    src: d,
                    expr: false,
                    host: true,
                },
                before,
            ));
        }
        if let Some(w) = &step.when {
            fields.push((
                Field {
                    what: "when",
                    src: w,
                    expr: true,
                    host: true,
                },
                before,
            ));
        }
        for (_, v) in &step.env {
            fields.push((
                Field {
                    what: "env",
                    src: v,
                    expr: false,
                    host: true,
                },
                before,
            ));
        }
        for (f, visible) in fields {
            let vars = if f.expr {
                engine.expr_variables(&f.src.value)
            } else {
                engine.variables(&f.src.value)
            };
            let vars = match vars {
                Ok(v) => v,
                Err(e) => {
                    let detail = e.detail().unwrap_or("invalid template").to_string();
                    let span = error_span(f.src, e.range(), f.expr);
                    out.push(
                        Diagnostic::error(
                            &step.file,
                            span,
                            "template-syntax",
                            format!(
                                "template error in `{}` of step `{}`: {detail}",
                                f.what, step.id.value
                            ),
                        )
                        .hint("templates look like `{{ name }}`; close every `{{` with `}}`"),
                    );
                    continue;
                }
            };
            for (at, name) in engine.unknown_filters(&f.src.value) {
                let span = error_span(f.src, Some(at..at + name.len()), false);
                out.push(
                    Diagnostic::error(
                        &step.file,
                        span,
                        "unknown-filter",
                        format!(
                            "unknown filter `{name}` in `{}` of step `{}`",
                            f.what, step.id.value
                        ),
                    )
                    .hint(
                        did_you_mean(&name, KNOWN_FILTERS.iter().copied())
                            .unwrap_or_else(|| format!("filters: {}", KNOWN_FILTERS.join(", "))),
                    ),
                );
            }
            for var in vars {
                let mut parts = var.split('.');
                let top = parts.next().unwrap_or_default();
                used.insert(top.to_string());
                let sub = parts.next();
                let mut code = "undefined-variable";
                let problem: Option<(String, String)> = match top {
                    "host" if !f.host => Some((
                        format!(
                            "`{var}` is not available in `{}`: a gate runs once, on no host",
                            f.what
                        ),
                        "use `groups.NAME` or a variable instead".into(),
                    )),
                    "host" => match sub {
                        Some(x) if !HOST_FIELDS.contains(&x) => Some((
                            format!("`host.{x}` is not a host field"),
                            did_you_mean(x, HOST_FIELDS.iter().copied()).unwrap_or_else(|| {
                                format!("host fields: {}", HOST_FIELDS.join(", "))
                            }),
                        )),
                        _ => None,
                    },
                    "groups" => match (sub, inv) {
                        (Some(g), Some(inv)) if !inv.groups.contains_key(g) => Some((
                            format!("`groups.{g}`: the inventory has no group `{g}`"),
                            did_you_mean(g, inv.groups.keys().map(String::as_str)).unwrap_or_else(
                                || "define it under `groups:` in the inventory".into(),
                            ),
                        )),
                        _ => None,
                    },
                    "hosts" => names::hosts_problem(&var, inv),
                    t if BUILTINS.contains(&t) || known.contains(t) => None,
                    t if f.host && names::is_inventory_var(inv, step_hosts(inv, step), t) => {
                        names::inventory_var(inv, step_hosts(inv, step), t).err()
                    }
                    t if step.looping.as_ref().is_some_and(|l| l.var.value == t) => None,
                    t => match captured_at.get(t) {
                        Some((at, _)) if *at < visible => {
                            code = "ambiguous-capture";
                            ambiguous_capture(rb, inv, t, visible, step, f.host)
                        }
                        Some((_, by)) => Some((
                            format!("`{t}` is used before step `{by}` captures it"),
                            format!("move this after step `{by}`, or capture `{t}` earlier"),
                        )),
                        None => {
                            let cands: Vec<&str> = known
                                .iter()
                                .map(String::as_str)
                                .chain(BUILTINS.iter().copied())
                                .chain(["host"])
                                .chain(captured_at.keys().copied())
                                .collect();
                            Some((
                                format!("undefined variable `{t}` in `{}` of step `{}`", f.what, step.id.value),
                                did_you_mean(t, cands).unwrap_or_else(|| "define it under `vars:`, pass `-e NAME=VALUE`, or `capture:` it in an earlier step".into()),
                            ))
                        }
                    },
                };
                if let Some((msg, hint)) = problem {
                    let span = find_in(f.src, top);
                    out.push(Diagnostic::error(&step.file, span, code, msg).hint(hint));
                }
            }
        }
    }
    unused_extra(rb, extra, &used, out);
}

/// A captured value is per host: a host that did not capture `name` sees it only when
/// exactly one host did. A use on such a host, of a value several hosts captured, cannot
/// tell which to take — the step would fail at its turn; say so now.
fn ambiguous_capture(
    rb: &Runbook,
    inv: Option<&Inventory>,
    name: &str,
    visible: usize,
    step: &crate::runbook::model::Step,
    on_hosts: bool,
) -> Option<(String, String)> {
    let mut captured_on = BTreeSet::new();
    for s in rb.steps[..visible.min(rb.steps.len())]
        .iter()
        .filter(|s| s.capture.as_ref().is_some_and(|c| c.value == name))
    {
        captured_on.extend(step_hosts(inv, s)?);
    }
    if captured_on.len() < 2 {
        return None;
    }
    let targets = if on_hosts {
        step_hosts(inv, step)?
    } else {
        BTreeSet::from([crate::runbook::inventory::LOCAL.to_string()])
    };
    let blind: Vec<&String> = targets
        .iter()
        .filter(|h| !captured_on.contains(*h))
        .collect();
    let h = blind.first()?;
    let on: Vec<&str> = captured_on.iter().map(String::as_str).collect();
    Some((
        format!(
            "`{name}` is captured on several hosts ({}) and step `{}` uses it on `{h}`, which did not capture it: it cannot tell which value to take",
            on.join(", "),
            step.id.value
        ),
        format!("capture `{name}` on one host, or use it only on the hosts that captured it"),
    ))
}

/// `-e NAME=VALUE` for a name no template of the runbook uses: most likely a typo.
fn unused_extra(
    rb: &Runbook,
    extra: &BTreeSet<String>,
    used: &BTreeSet<String>,
    out: &mut Vec<Diagnostic>,
) {
    for name in extra.iter().filter(|n| !used.contains(*n)) {
        let cands: Vec<&str> = used.iter().map(String::as_str).collect();
        out.push(
            Diagnostic::warning(
                &rb.file,
                Span::default(),
                "unused-var",
                format!("`-e {name}=...` is given but the runbook never uses `{name}`"),
            )
            .hint(
                did_you_mean(name, cands)
                    .unwrap_or_else(|| "check the name against the runbook's templates".into()),
            ),
        );
    }
}

/// Whether the scalar sits on one line, so offsets inside it map to columns.
fn single_line(src: &Spanned<String>) -> bool {
    !src.value.contains('\n')
}

/// Point at `name` inside the template when it is on one line, else at the field.
fn find_in(src: &Spanned<String>, name: &str) -> Span {
    if single_line(src)
        && let Some(b) = find_word(&src.value, name)
    {
        let chars = src.value[..b].chars().count();
        return src.span.shifted(chars, name.chars().count());
    }
    src.span
}

fn find_word(hay: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = hay[from..].find(word) {
        let at = from + i;
        let before = hay[..at].chars().next_back();
        let after = hay[at + word.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !ident(before) && !ident(after) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

fn error_span(src: &Spanned<String>, range: Option<std::ops::Range<usize>>, expr: bool) -> Span {
    match range {
        Some(r)
            if single_line(src)
                && !expr
                && r.start <= src.value.len()
                && src.value.is_char_boundary(r.start) =>
        {
            let chars = src.value[..r.start].chars().count();
            src.span
                .shifted(chars, (r.end.saturating_sub(r.start)).max(1))
        }
        _ => src.span,
    }
}
