//! One step of a runbook: its action, hosts, checks, settings, transfers, `check:`,
//! `loop:` and the rest, with every problem reported where it is written.

use crate::runbook::model::*;
use crate::runbook::reader::Reader;
use crate::runbook::source::Spanned;
use crate::runbook::yaml::{Kind, Node};

use super::step_fields::{check, probe, transfer};
use super::*;

/// The `id:` written in a step mapping, if any, before the step is read.
pub(super) fn raw_id(n: &Node) -> Option<&Node> {
    match &n.kind {
        Kind::Map(items) => items
            .iter()
            .find(|(k, _)| k.as_str() == Some("id"))
            .map(|(_, v)| v),
        _ => None,
    }
}

pub(super) fn step(r: &mut Reader, n: &Node, index: usize) -> Option<Step> {
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
    let mut approvers = None;
    let action = match actions.as_slice() {
        [one] => {
            let an = f.get(one).expect("present");
            match *one {
                "run" => r.string(an, &p("run")).map(Action::Run),
                "approve" => {
                    let (msg, n) = super::approve::approve(r, an, &p("approve"))?;
                    approvers = n;
                    Some(Action::Approve(msg))
                }
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
        become_switch: f
            .get("become")
            .and_then(|x| r.bool(x, &p("become")).map(|b| Spanned::new(b, x.span))),
        become_user: f
            .get("become_user")
            .and_then(|x| r.string(x, &p("become_user"))),
        point_of_no_return: f.get("point_of_no_return").and_then(|x| {
            r.bool(x, &p("point_of_no_return"))
                .map(|b| Spanned::new(b, x.span))
        }),
        approvers,
        check: f.get("check").and_then(|c| probe(r, c, &p("check"))),
        needs: f
            .get("needs")
            .map(|n| r.string_list(n, &p("needs")))
            .unwrap_or_default(),
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
