//! Build a [`Runbook`] from its YAML tree, reporting every problem found on the way.

mod approve;
mod include;
pub(crate) mod notify;
mod step;
mod step_fields;

use include::{canonical, duplicate_ids_across_files, steps_of};
use step::raw_id;
use step_fields::settings;

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
    let notify = f
        .get("notify")
        .map(|n| notify::notify(r, n))
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
        notify,
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
    "host", "hosts", "groups", "name", "kind", "mode", "run_id", "step", "severity",
];
