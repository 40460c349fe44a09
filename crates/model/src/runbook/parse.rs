//! Build a [`Runbook`] from its YAML tree, reporting every problem found on the way.

use std::sync::Arc;

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
                let mut stack = vec![canonical(&r.file.path)];
                steps_of(r, items, &mut stack, &mut steps);
                duplicate_ids_across_files(r, &steps);
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
        steps,
    })
}

fn objectives(r: &mut Reader, n: &Node) -> Objectives {
    let Some(f) = r.map(n, "objectives", &["rto", "rpo", "phases"]) else {
        return Objectives::default();
    };
    let phases = f
        .get("phases")
        .and_then(|pn| r.map(pn, "objectives.phases", &[]))
        .map(|pf| {
            pf.iter()
                .filter_map(|(k, kn, v)| {
                    let d = r.duration(v, &format!("objectives.phases.{k}"))?;
                    Some((Spanned::new(k.to_string(), kn.span), d.value))
                })
                .collect()
        })
        .unwrap_or_default();
    Objectives {
        rto: f
            .get("rto")
            .and_then(|n| r.duration(n, "objectives.rto"))
            .map(|d| d.value),
        rpo: f
            .get("rpo")
            .and_then(|n| r.duration(n, "objectives.rpo"))
            .map(|d| d.value),
        phases,
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
        attempt_timeout: f
            .get("attempt_timeout")
            .and_then(|n| r.duration(n, &p("attempt_timeout")))
            .map(|d| d.value),
        max_interval: f
            .get("max_interval")
            .and_then(|n| r.duration(n, &p("max_interval")))
            .map(|d| d.value),
    }
}

/// `check:` as a command string, or `{run: CMD, expect: {...}}`.
fn probe(r: &mut Reader, n: &Node, path: &str) -> Option<Probe> {
    if let Kind::Map(_) = &n.kind {
        let f = r.map(n, path, PROBE_KEYS)?;
        let Some(run) = f.get("run") else {
            r.error(n, "missing-key", format!("`{path}` needs `run:`"))
                .hint = Some("e.g. `check: { run: test -f /tmp/trigger }`".into());
            return None;
        };
        let run = r.string(run, &format!("{path}.run"))?;
        let expect = f
            .get("expect")
            .and_then(|e| check(r, e, &format!("{path}.expect")));
        return Some(Probe { run, expect });
    }
    r.string(n, path).map(|run| Probe { run, expect: None })
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
fn canonical(p: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The node of an `- include: FILE` item.
fn include_of(n: &Node) -> Option<&Node> {
    match &n.kind {
        Kind::Map(items) => items
            .iter()
            .find(|(k, _)| k.as_str() == Some("include"))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// The steps of a `steps:` list, each `- include: FILE` replaced by the steps that file
/// lists (a path relative to the including file), recursively; a cycle is refused.
/// Diagnostics of an included file name that file, with its own lines and columns.
fn steps_of(
    r: &mut Reader,
    items: &[Node],
    stack: &mut Vec<std::path::PathBuf>,
    out: &mut Vec<Step>,
) {
    for (i, item) in items.iter().enumerate() {
        let Some(inc) = include_of(item) else {
            if let Some(s) = step(r, item, i) {
                out.push(s);
            }
            continue;
        };
        if let Kind::Map(keys) = &item.kind
            && keys.len() > 1
        {
            r.error(
                item,
                "include-with-keys",
                "an `include:` item takes no other keys",
            )
            .hint = Some("write `- include: FILE` on its own; the file lists the steps".into());
        }
        let Some(rel) = r.string(inc, "include") else {
            continue;
        };
        let path = crate::runbook::inventory::resolve_path(&rel.value, r.file.dir());
        let key = canonical(&path);
        if stack.contains(&key) {
            r.error(
                inc,
                "include-cycle",
                format!(
                    "`{}` includes itself (through {} file(s))",
                    rel.value,
                    stack.len()
                ),
            )
            .hint = Some("break the cycle: a file may not include a file that includes it".into());
            continue;
        }
        let file = match super::read_source(&path) {
            Ok(f) => f,
            Err(_) => {
                r.error(
                    inc,
                    "missing-include",
                    format!("cannot read `{}`", path.display()),
                )
                .hint = Some("paths are relative to the including file".into());
                continue;
            }
        };
        match yaml::load(&file, Budget::default()) {
            Err(d) => r.diags.push(d),
            Ok(None) => {
                r.error(inc, "empty-include", format!("`{}` is empty", rel.value));
            }
            Ok(Some(root)) => match &root.kind {
                Kind::Seq(sub) => {
                    let mut sr = Reader::new(file.clone());
                    stack.push(key);
                    steps_of(&mut sr, sub, stack, out);
                    stack.pop();
                    r.diags.extend(sr.diags);
                }
                _ => {
                    let mut sr = Reader::new(file.clone());
                    sr.error(
                        &root,
                        "wrong-type",
                        format!(
                            "an included file holds a list of steps, found {}",
                            root.describe()
                        ),
                    )
                    .hint = Some("write the steps as `- id: ...` at the top level".into());
                    r.diags.extend(sr.diags);
                }
            },
        }
    }
}

/// Step ids are checkpoint keys: unique across the runbook and every file it includes.
/// (Duplicates inside the runbook itself are reported where its list is read.)
fn duplicate_ids_across_files(r: &mut Reader, steps: &[Step]) {
    for (i, s) in steps.iter().enumerate() {
        if let Some(first) = steps[..i].iter().find(|o| {
            o.id.value == s.id.value && (o.file.path != r.file.path || s.file.path != r.file.path)
        }) {
            r.diags.push(
                Diagnostic::error(
                    &s.file,
                    s.id.span,
                    "duplicate-step-id",
                    format!("duplicate step id `{}`", s.id.value),
                )
                .hint(format!(
                    "`{}` is also a step of {} (line {}); step ids must be unique across included files",
                    s.id.value,
                    first.file.display(),
                    first.id.span.line
                )),
            );
        }
    }
}

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
        file: r.file.clone(),
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
        point_of_no_return: f.get("point_of_no_return").and_then(|x| {
            r.bool(x, &p("point_of_no_return"))
                .map(|b| Spanned::new(b, x.span))
        }),
        check: f.get("check").and_then(|c| probe(r, c, &p("check"))),
        looping: f.get("loop").and_then(|l| {
            let var = match f.get("loop_var") {
                Some(v) => r.string(v, &p("loop_var"))?,
                None => Spanned::new("item".to_string(), l.span),
            };
            let items = match &l.kind {
                Kind::Seq(items) => LoopItems::List(
                    items
                        .iter()
                        .filter_map(|i| r.string(i, &p("loop")))
                        .collect(),
                ),
                _ => {
                    let s = r.string(l, &p("loop"))?;
                    let name = s
                        .value
                        .trim()
                        .trim_start_matches("{{")
                        .trim_end_matches("}}")
                        .trim()
                        .to_string();
                    LoopItems::Var(Spanned::new(name, s.span))
                }
            };
            Some(Loop { items, var })
        }),
        settings,
        on,
        span: n.span,
        id,
        action: action?,
    };
    if step.looping.is_none()
        && let Some(kn) = f.key_node("loop_var")
    {
        r.error(kn, "loop-var-without-loop", "`loop_var` without `loop`")
            .hint = Some("add `loop:` with the items, or remove `loop_var`".into());
    }
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
