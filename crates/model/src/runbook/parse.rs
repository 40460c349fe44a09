//! Build a [`Runbook`] from its YAML tree, reporting every problem found on the way.

use std::sync::Arc;
use std::time::Duration;

use crate::diagnostic::Diagnostic;
use crate::runbook::model::*;
use crate::runbook::reader::Reader;
use crate::runbook::source::{SourceFile, Spanned};
use crate::runbook::yaml::{self, Budget, Kind, Node};

/// Largest `retries` a step may ask for.
pub const MAX_RETRIES: i64 = 100;

/// Parse runbook text. Returns the model when the file's shape allowed building one (it may
/// still carry errors) and every diagnostic found.
pub fn parse_runbook(file: &Arc<SourceFile>) -> (Option<Runbook>, Vec<Diagnostic>) {
    let root = match yaml::load(file, Budget::default()) {
        Ok(Some(n)) => n,
        Ok(None) => {
            let d = Diagnostic::error(file, Default::default(), "empty", "the runbook is empty")
                .hint("start with `drctl: 1`");
            return (None, vec![d]);
        }
        Err(d) => return (None, vec![d]),
    };
    let mut r = Reader::new(file.clone());
    let rb = runbook(&mut r, &root);
    (rb, r.diags)
}

fn runbook(r: &mut Reader, root: &Node) -> Option<Runbook> {
    let f = r.map(root, "", RUNBOOK_KEYS)?;
    match f.get("drctl") {
        None => {
            r.error(root, "missing-key", "missing `drctl:` format version")
                .hint = Some("add `drctl: 1` as the first line".into());
        }
        Some(n) => match n.as_str() {
            Some("1") => {}
            _ => {
                r.error(
                    n,
                    "bad-version",
                    format!("unsupported format version `{}`", n.as_str().unwrap_or("?")),
                )
                .hint = Some(format!("this drctl reads `drctl: {FORMAT_VERSION}`"));
            }
        },
    }
    let kind = match f.get("kind") {
        Some(n) => r
            .choice(n, "kind", KINDS)
            .map(|s| s.value)
            .unwrap_or_default(),
        None => {
            r.error(root, "missing-key", "missing `kind:`").hint =
                Some(format!("one of: {}", KINDS.join(", ")));
            String::new()
        }
    };
    let name = match f.get("name") {
        Some(n) => r
            .string(n, "name")
            .filter(|s| r.name(s, n, "runbook name"))
            .map(|s| s.value)
            .unwrap_or_default(),
        None => {
            r.error(root, "missing-key", "missing `name:`").hint =
                Some("name the runbook, e.g. `name: pg-failover`".into());
            String::new()
        }
    };
    let description = f
        .get("description")
        .and_then(|n| r.string(n, "description"))
        .map(|s| s.value);
    let severity = f
        .get("severity")
        .and_then(|n| r.choice(n, "severity", SEVERITIES))
        .map(|s| s.value);
    let objectives = f
        .get("objectives")
        .map(|n| objectives(r, n))
        .unwrap_or_default();
    let inventory = f.get("inventory").and_then(|n| r.string(n, "inventory"));
    let vars = f.get("vars").map(|n| vars(r, n)).unwrap_or_default();
    let defaults = f
        .get("defaults")
        .and_then(|n| {
            let d = r.map(n, "defaults", DEFAULT_KEYS)?;
            Some(settings(r, &d, "defaults"))
        })
        .unwrap_or_default();
    let notify = f.get("notify").map(|n| notify(r, n)).unwrap_or_default();
    let mut steps = Vec::new();
    match f.get("steps") {
        Some(n) => match &n.kind {
            Kind::Seq(items) => {
                if items.is_empty() {
                    r.error(n, "no-steps", "`steps` is empty").hint =
                        Some("add at least one step".into());
                }
                let mut seen: Vec<(&str, usize)> = Vec::new();
                for item in items {
                    let Some(idn) = raw_id(item) else { continue };
                    let Some(id) = idn.as_str() else { continue };
                    match seen.iter().find(|(s, _)| *s == id) {
                        Some((_, line)) => {
                            r.error(
                                idn,
                                "duplicate-step-id",
                                format!("duplicate step id `{id}`"),
                            )
                            .hint = Some(format!(
                                "the same id is used on line {line}; step ids are checkpoint keys and must be unique"
                            ));
                        }
                        None => seen.push((id, idn.span.line)),
                    }
                }
                for (i, item) in items.iter().enumerate() {
                    if let Some(s) = step(r, item, i) {
                        steps.push(s);
                    }
                }
            }
            _ => {
                r.error(
                    n,
                    "wrong-type",
                    format!("`steps` must be a list, found {}", n.describe()),
                )
                .hint = Some("write each step as `- id: ...`".into());
            }
        },
        None => {
            r.error(root, "missing-key", "missing `steps:`").hint =
                Some("a runbook needs a list of steps".into());
        }
    }
    Some(Runbook {
        file: r.file.clone(),
        kind,
        name,
        description,
        severity,
        objectives,
        inventory,
        vars,
        defaults,
        notify,
        steps,
    })
}

/// `notify:` (runbook or inventory): a list of receivers.
pub fn notify(r: &mut Reader, n: &Node) -> Vec<Notify> {
    let Kind::Seq(items) = &n.kind else {
        r.error(
            n,
            "wrong-type",
            format!("`notify` must be a list, found {}", n.describe()),
        )
        .hint = Some("write each receiver as `- url: https://...`".into());
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let Some(f) = r.map(item, "notify", NOTIFY_KEYS) else {
            continue;
        };
        let Some(url) = f.get("url").and_then(|n| r.string(n, "notify.url")) else {
            if !f.has("url") {
                r.error(item, "missing-key", "a `notify` receiver needs `url:`")
                    .hint = Some("e.g. `url: https://hooks.example.com/T0/B0/XXXX`".into());
            }
            continue;
        };
        let scheme_ok = url.value.starts_with("https://") || url.value.starts_with("http://");
        if !scheme_ok {
            let node = f.get("url").unwrap_or(item);
            r.error(
                node,
                "bad-url",
                format!(
                    "`notify.url` must be an http:// or https:// URL, found `{}`",
                    url.value
                ),
            )
            .hint = Some("https is verified against the system's trusted roots".into());
            continue;
        }
        let format = f
            .get("format")
            .and_then(|n| r.choice(n, "notify.format", NOTIFY_FORMATS))
            .map(|s| s.value)
            .unwrap_or_else(|| "json".into());
        let events = match f.get("events") {
            None => NOTIFY_EVENTS.iter().map(|s| s.to_string()).collect(),
            Some(n) => {
                let mut ev = Vec::new();
                let list: Vec<&Node> = match &n.kind {
                    Kind::Seq(items) => items.iter().collect(),
                    _ => vec![n],
                };
                for e in list {
                    if let Some(c) = r.choice(e, "notify.events", NOTIFY_EVENTS) {
                        ev.push(c.value);
                    }
                }
                ev
            }
        };
        let every = f
            .get("every")
            .and_then(|n| r.duration(n, "notify.every"))
            .map(|d| d.value)
            .unwrap_or(Duration::from_secs(15 * 60));
        if let Some(n) = f.get("every").filter(|_| every.is_zero()) {
            r.error(n, "bad-duration", "`notify.every` must be more than zero");
        }
        let mut headers = Vec::new();
        if let Some(h) = f.get("headers") {
            if let Kind::Map(kv) = &h.kind {
                for (k, v) in kv {
                    if let (Some(k), Some(v)) = (k.as_str(), r.string(v, "notify.headers")) {
                        headers.push((k.to_string(), v));
                    }
                }
            } else {
                r.type_error(h, "notify.headers", "a mapping");
            }
        }
        out.push(Notify {
            url,
            format,
            events,
            every,
            headers,
        });
    }
    out
}

fn objectives(r: &mut Reader, n: &Node) -> Objectives {
    let Some(f) = r.map(n, "objectives", &["rto", "rpo"]) else {
        return Objectives::default();
    };
    Objectives {
        rto: f
            .get("rto")
            .and_then(|n| r.duration(n, "objectives.rto"))
            .map(|d| d.value),
        rpo: f
            .get("rpo")
            .and_then(|n| r.duration(n, "objectives.rpo"))
            .map(|d| d.value),
    }
}

/// Convert a YAML node to a template value (plain scalars typed by the YAML 1.2 core schema).
pub fn to_value(n: &Node) -> minijinja::Value {
    use minijinja::Value;
    match &n.kind {
        Kind::Scalar { value, plain: true } => {
            if n.is_null() {
                Value::from(())
            } else if let Ok(i) = value.parse::<i64>() {
                Value::from(i)
            } else if let Ok(x) = value.parse::<f64>().map_err(|_| ()).and_then(|x| {
                if value.chars().any(|c| c.is_ascii_digit()) {
                    Ok(x)
                } else {
                    Err(())
                }
            }) {
                Value::from(x)
            } else if matches!(value.as_str(), "true" | "True" | "TRUE") {
                Value::from(true)
            } else if matches!(value.as_str(), "false" | "False" | "FALSE") {
                Value::from(false)
            } else {
                Value::from(value.as_str())
            }
        }
        Kind::Scalar { value, .. } => Value::from(value.as_str()),
        Kind::Seq(items) => Value::from(items.iter().map(to_value).collect::<Vec<_>>()),
        Kind::Map(items) => Value::from_pairs(
            items
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), to_value(v))),
        ),
    }
}

fn vars(r: &mut Reader, n: &Node) -> Vec<VarDef> {
    let Some(f) = r.map(n, "vars", &[]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, knode, v) in f.iter() {
        let name = Spanned::new(key.to_string(), knode.span);
        let ident_ok = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident_ok {
            r.error(
                knode,
                "bad-var-name",
                format!("variable name `{key}` cannot be used in templates"),
            )
            .hint = Some("use letters, digits and _ (e.g. `api_token`)".into());
        }
        if RESERVED_VARS.contains(&key) {
            r.error(
                knode,
                "reserved-var",
                format!("`{key}` is a built-in template variable"),
            )
            .hint = Some("choose another name".into());
        }
        let special = matches!(&v.kind, Kind::Map(items) if items.iter().any(|(k, _)| matches!(k.as_str(), Some("env" | "secret" | "value"))));
        if special {
            let Some(vf) = r.map(
                v,
                &format!("vars.{key}"),
                &["env", "secret", "value", "default"],
            ) else {
                continue;
            };
            let secret = vf
                .get("secret")
                .and_then(|n| r.bool(n, &format!("vars.{key}.secret")))
                .unwrap_or(false);
            let source = match (vf.get("env"), vf.get("value")) {
                (Some(e), None) => match r.string(e, &format!("vars.{key}.env")) {
                    Some(env) => VarSource::Env {
                        name: env,
                        default: vf
                            .get("default")
                            .and_then(|d| d.as_str())
                            .map(str::to_string),
                    },
                    None => continue,
                },
                (None, Some(val)) => VarSource::Value(to_value(val)),
                (Some(_), Some(val)) => {
                    r.error(
                        val,
                        "conflicting-keys",
                        format!("`vars.{key}` has both `env` and `value`"),
                    )
                    .hint = Some("keep one".into());
                    continue;
                }
                (None, None) => {
                    r.error(
                        v,
                        "missing-key",
                        format!("`vars.{key}` needs `env:` or `value:`"),
                    )
                    .hint = Some("e.g. `{ env: DR_API_TOKEN, secret: true }`".into());
                    continue;
                }
            };
            out.push(VarDef {
                name,
                source,
                secret,
            });
        } else {
            out.push(VarDef {
                name,
                source: VarSource::Value(to_value(v)),
                secret: false,
            });
        }
    }
    out
}

/// Names the template context defines itself.
pub const RESERVED_VARS: &[&str] = &[
    "host", "groups", "name", "kind", "mode", "run_id", "step", "severity",
];

fn settings(r: &mut Reader, f: &crate::runbook::reader::Fields<'_>, path: &str) -> StepDefaults {
    let p = |k: &str| format!("{path}.{k}");
    StepDefaults {
        timeout: f
            .get("timeout")
            .and_then(|n| r.duration(n, &p("timeout")))
            .map(|d| d.value),
        on_failure: f
            .get("on_failure")
            .and_then(|n| r.choice(n, &p("on_failure"), ON_FAILURE))
            .and_then(|s| OnFailure::parse(&s.value)),
        retries: f
            .get("retries")
            .and_then(|n| r.int(n, &p("retries"), 0, MAX_RETRIES))
            .map(|n| n as u32),
        retry_delay: f
            .get("retry_delay")
            .and_then(|n| r.duration(n, &p("retry_delay")))
            .map(|d| d.value),
        interval: f.get("interval").and_then(|n| {
            let d = r.duration(n, &p("interval"))?;
            if d.value.is_zero() {
                r.error(
                    n,
                    "zero-interval",
                    format!("`{}` is zero: polling would spin", p("interval")),
                )
                .hint = Some("use at least `100ms`".into());
                return None;
            }
            Some(d.value)
        }),
        idempotent: f
            .get("idempotent")
            .and_then(|n| r.bool(n, &p("idempotent"))),
        serial: f.get("serial").and_then(|n| serial(r, n, &p("serial"))),
    }
}

fn serial(r: &mut Reader, n: &Node, path: &str) -> Option<Serial> {
    if let Some(pct) = n.as_str().and_then(|s| s.strip_suffix('%')) {
        return match pct.parse::<u8>() {
            Ok(p) if (1..=100).contains(&p) => Some(Serial::Percent(p)),
            _ => {
                r.error(
                    n,
                    "out-of-range",
                    format!("`{path}` percentage must be 1% to 100%"),
                );
                None
            }
        };
    }
    r.int(n, path, 1, 100_000)
        .map(|c| Serial::Count(c as usize))
}

fn check(r: &mut Reader, n: &Node, path: &str) -> Option<Check> {
    let f = r.map(n, path, CHECK_KEYS)?;
    let exit = f.get("exit").and_then(|e| match &e.kind {
        Kind::Seq(items) => items
            .iter()
            .map(|i| r.int(i, &format!("{path}.exit"), 0, 255).map(|x| x as i32))
            .collect(),
        _ => r
            .int(e, &format!("{path}.exit"), 0, 255)
            .map(|x| vec![x as i32]),
    });
    let regex = f.get("regex").and_then(|rn| {
        let s = r.string(rn, &format!("{path}.regex"))?;
        match regex::Regex::new(&s.value) {
            Ok(re) => Some(Spanned::new(re, s.span)),
            Err(e) => {
                let msg = e.to_string();
                let last = msg.lines().last().unwrap_or("invalid").trim().to_string();
                r.error(rn, "bad-regex", format!("invalid regex in `{path}.regex`: {last}")).hint =
                    Some("regex syntax is Rust's `regex` crate (like RE2); escape special characters with \\".into());
                None
            }
        }
    });
    Some(Check {
        exit,
        stdout: f
            .get("stdout")
            .and_then(|s| r.string(s, &format!("{path}.stdout")))
            .map(|s| s.value),
        contains: f
            .get("contains")
            .and_then(|s| r.string(s, &format!("{path}.contains")))
            .map(|s| s.value),
        regex,
        span: n.span,
    })
}

fn transfer(r: &mut Reader, n: &Node, path: &str) -> Option<Transfer> {
    let f = r.map(n, path, TRANSFER_KEYS)?;
    let mut need = |k: &str| match f.get(k) {
        Some(v) => r.string(v, &format!("{path}.{k}")),
        None => {
            r.error(n, "missing-key", format!("`{path}` needs `{k}:`"));
            None
        }
    };
    let src = need("src");
    let dest = need("dest");
    let mode = f.get("mode").and_then(|m| {
        let s = m.as_str().unwrap_or_default();
        match u32::from_str_radix(s, 8) {
            Ok(v) if v <= 0o7777 && !s.is_empty() => Some(v),
            _ => {
                r.error(
                    m,
                    "bad-mode",
                    format!("`{path}.mode` must be octal permissions like \"0644\""),
                )
                .hint = Some("quote it so YAML keeps the leading zero: mode: \"0644\"".into());
                None
            }
        }
    });
    Some(Transfer {
        src: src?,
        dest: dest?,
        mode,
    })
}

/// The `id:` written in a step mapping, if any, before the step is read.
fn raw_id(n: &Node) -> Option<&Node> {
    match &n.kind {
        Kind::Map(items) => items
            .iter()
            .find(|(k, _)| k.as_str() == Some("id"))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn step(r: &mut Reader, n: &Node, index: usize) -> Option<Step> {
    let label = raw_id(n)
        .and_then(Node::as_str)
        .map_or(format!("steps[{index}]"), |id| format!("steps.{id}"));
    let f = r.map(n, &label, STEP_KEYS)?;
    let id = match f.get("id") {
        Some(idn) => {
            let s = r.string(idn, "id")?;
            r.name(&s, idn, "step id");
            s
        }
        None => {
            r.error(n, "missing-key", format!("step {} has no `id`", index + 1))
                .hint = Some(
                "every step needs a unique `id:` ([a-z0-9-]+); it is the checkpoint key".into(),
            );
            return None;
        }
    };
    let path = format!("steps.{}", id.value);
    let p = |k: &str| format!("{path}.{k}");
    let actions: Vec<&str> = ["run", "upload", "download", "approve"]
        .into_iter()
        .filter(|k| f.has(k))
        .collect();
    let action = match actions.as_slice() {
        [one] => {
            let an = f.get(one).expect("present");
            match *one {
                "run" => r.string(an, &p("run")).map(Action::Run),
                "approve" => r.string(an, &p("approve")).map(Action::Approve),
                "upload" => transfer(r, an, &p("upload")).map(Action::Upload),
                _ => transfer(r, an, &p("download")).map(Action::Download),
            }
        }
        [] => {
            r.error(n, "no-action", format!("step `{}` has no action", id.value))
                .hint =
                Some("give it exactly one of `run`, `upload`, `download` or `approve`".into());
            None
        }
        many => {
            let second = f.key_node(many[1]).expect("present");
            r.error(
                second,
                "many-actions",
                format!(
                    "step `{}` has more than one action ({})",
                    id.value,
                    many.join(", ")
                ),
            )
            .hint = Some("split it into one step per action".into());
            None
        }
    };
    let on = f
        .get("on")
        .map(|o| r.string_list(o, &p("on")))
        .unwrap_or_default();
    if let Some(a) = &action {
        let on_node = f.key_node("on");
        match (a, on.is_empty()) {
            (Action::Approve(_), false) => {
                r.error(
                    on_node.expect("on"),
                    "gate-with-hosts",
                    "an `approve` gate runs on the controller and takes no `on:`",
                )
                .hint = Some("remove `on:` from this step".into());
            }
            (Action::Approve(_), true) => {}
            (_, true) if on_node.is_none() => {
                r.error(
                    n,
                    "missing-key",
                    format!(
                        "step `{}` needs `on:` to say which hosts it runs on",
                        id.value
                    ),
                )
                .hint = Some("e.g. `on: standby`, or `on: local` for the controller".into());
            }
            _ => {}
        }
    }
    let drill = match f.get("drill") {
        None => DrillMode::Run,
        Some(d) => match d.as_str() {
            Some("run") => DrillMode::Run,
            Some("skip") => DrillMode::Skip,
            Some(_) if !d.is_null() => DrillMode::Replace(r.string(d, &p("drill"))?),
            _ => {
                r.error(
                    d,
                    "bad-value",
                    "`drill` must be `run`, `skip` or a replacement command",
                );
                DrillMode::Run
            }
        },
    };
    let env = f
        .get("env")
        .and_then(|e| r.map(e, &p("env"), &[]))
        .map(|ef| {
            ef.iter()
                .filter_map(|(k, kn, v)| {
                    if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        || k.starts_with(|c: char| c.is_ascii_digit())
                    {
                        r.error(
                            kn,
                            "bad-env-name",
                            format!("`{k}` is not a valid environment variable name"),
                        );
                        return None;
                    }
                    let val = match &v.kind {
                        Kind::Scalar { value, .. } => Spanned::new(value.clone(), v.span),
                        _ => r.string(v, &format!("{path}.env.{k}"))?,
                    };
                    Some((k.to_string(), val))
                })
                .collect()
        })
        .unwrap_or_default();
    let until = f.get("until").and_then(|u| check(r, u, &p("until")));
    let settings = settings(r, &f, &path);
    let step = Step {
        name: f
            .get("name")
            .and_then(|x| r.string(x, &p("name")))
            .map(|s| s.value),
        phase: f
            .get("phase")
            .and_then(|x| r.string(x, &p("phase")))
            .map(|s| s.value),
        expect: f.get("expect").and_then(|e| check(r, e, &p("expect"))),
        until,
        capture: f.get("capture").and_then(|c| {
            let s = r.string(c, &p("capture"))?;
            let ok = s
                .value
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && s.value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                r.error(
                    c,
                    "bad-var-name",
                    format!("capture name `{}` cannot be used in templates", s.value),
                )
                .hint = Some("use letters, digits and _".into());
            }
            Some(s)
        }),
        rollback: f.get("rollback").and_then(|x| r.string(x, &p("rollback"))),
        when: f.get("when").and_then(|x| r.string(x, &p("when"))),
        drill,
        env,
        settings,
        on,
        span: n.span,
        id,
        action: action?,
    };
    if step.until.is_some() && step.expect.is_some() {
        let un = f.key_node("until").expect("until");
        r.warning(
            un,
            "until-and-expect",
            "both `until` and `expect`: `expect` is checked on the final poll",
        )
        .hint = Some("usually one of them is enough".into());
    }
    if matches!(step.action, Action::Approve(_)) {
        for k in ["rollback", "capture", "expect", "until", "retries"] {
            if let Some(kn) = f.key_node(k) {
                r.error(
                    kn,
                    "not-for-gate",
                    format!("`{k}` has no meaning on an `approve` gate"),
                )
                .hint = Some(format!("remove `{k}` from this step"));
            }
        }
    }
    Some(step)
}

#[cfg(test)]
mod notify_tests {
    use super::*;

    fn parse(notify: &str) -> (Option<Runbook>, Vec<Diagnostic>) {
        let text = format!(
            "drctl: 1\nkind: failover\nname: t\nnotify:\n{notify}steps:\n  - id: a\n    on: local\n    run: 'true'\n"
        );
        parse_runbook(&SourceFile::new("rb.yaml", text))
    }

    #[test]
    fn notify_receivers_are_parsed_with_defaults() {
        let (rb, d) = parse(
            "  - url: https://hooks.example.com/x\n    format: slack\n    events: [start, step-failed, status]\n    every: 1m\n    headers:\n      Authorization: 'Bearer {{ token }}'\n  - url: http://127.0.0.1:9/\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let n = rb.unwrap().notify;
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].format, "slack");
        assert_eq!(n[0].events, ["start", "step-failed", "status"]);
        assert_eq!(n[0].every, Duration::from_secs(60));
        assert_eq!(n[0].headers[0].0, "Authorization");
        assert_eq!(n[1].format, "json");
        assert_eq!(n[1].events.len(), NOTIFY_EVENTS.len());
        assert_eq!(n[1].every, Duration::from_secs(900));
    }

    #[test]
    fn bad_notify_entries_are_errors() {
        let (_, d) = parse(
            "  - url: ftp://x\n  - url: https://x\n    format: xml\n    events: [started]\n  - format: json\n  - url: https://y\n    retry: 3\n",
        );
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        for c in ["bad-url", "missing-key", "unknown-key"] {
            assert!(codes.contains(&c), "{c} not in {codes:?}");
        }
        assert!(
            d.iter().filter(|d| d.message.contains("notify.")).count() >= 2,
            "{d:?}"
        );
    }
}
