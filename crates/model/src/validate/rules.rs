//! Semantic rules over a parsed runbook: unique step ids, known targets, upload sources,
//! and warnings for risky steps.

use crate::diagnostic::Diagnostic;
use crate::runbook::inventory::{Inventory, LOCAL};
use crate::runbook::model::{Action, DrillMode, OnFailure, Runbook};

/// Every `on:` target must be a host or group of the inventory (or `local`).
pub fn known_targets(rb: &Runbook, inv: Option<&Inventory>, out: &mut Vec<Diagnostic>) {
    for s in &rb.steps {
        for t in &s.on {
            match inv {
                Some(inv) if inv.resolve(&t.value).is_some() => {}
                None if t.value == LOCAL => {}
                Some(inv) => {
                    let hint = inv.suggest(&t.value).unwrap_or_else(|| {
                        let names: Vec<&str> = inv.target_names().collect();
                        format!("known hosts and groups: {}", names.join(", "))
                    });
                    out.push(
                        Diagnostic::error(
                            &s.file,
                            t.span,
                            "unknown-target",
                            format!(
                                "unknown host or group `{}` in step `{}`",
                                t.value, s.id.value
                            ),
                        )
                        .hint(hint),
                    );
                }
                None => out.push(
                    Diagnostic::error(
                        &s.file,
                        t.span,
                        "unknown-target",
                        format!(
                            "step `{}` runs on `{}`, but there is no inventory",
                            s.id.value, t.value
                        ),
                    )
                    .hint("set `inventory:` in the runbook or pass `-i INVENTORY`"),
                ),
            }
        }
    }
}

/// Upload sources are local files, relative to the runbook: they must exist.
pub fn upload_sources(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    for s in &rb.steps {
        if let Action::Upload(t) = &s.action {
            if t.src.value.contains("{{") {
                continue;
            }
            let p = crate::runbook::inventory::resolve_path(&t.src.value, s.file.dir());
            if !p.is_file() {
                out.push(
                    Diagnostic::error(
                        &s.file,
                        t.src.span,
                        "missing-upload-source",
                        format!("upload source `{}` does not exist", t.src.value),
                    )
                    .hint(format!(
                        "looked for {} (paths are relative to the runbook's folder)",
                        p.display()
                    )),
                );
            }
        }
    }
}

/// A download from several hosts to one local `dest` would keep only the last host's
/// file: the dest must name the host (`{{ host.name }}`).
pub fn download_collisions(rb: &Runbook, inv: Option<&Inventory>, out: &mut Vec<Diagnostic>) {
    let Some(inv) = inv else { return };
    for s in &rb.steps {
        let Action::Download(t) = &s.action else {
            continue;
        };
        if t.dest.value.contains("host.name") || t.dest.value.contains("host.addr") {
            continue;
        }
        let mut hosts: Vec<String> =
            s.on.iter()
                .filter_map(|o| inv.resolve(&o.value))
                .flatten()
                .collect();
        hosts.sort();
        hosts.dedup();
        if hosts.len() > 1 {
            out.push(
                Diagnostic::error(
                    &s.file,
                    t.dest.span,
                    "download-collision",
                    format!(
                        "step `{}` downloads from {} hosts ({}) to one local file: each would replace the last",
                        s.id.value,
                        hosts.len(),
                        hosts.join(", ")
                    ),
                )
                .hint("put the host in the path, e.g. `dest: backups/{{ host.name }}/base.tar`"),
            );
        }
    }
}

/// `objectives.phases` must name `phase:` labels the steps carry; a `max_interval` below
/// its `interval` would never back off.
pub fn language(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    let labels: Vec<&str> = rb.steps.iter().filter_map(|s| s.phase.as_deref()).collect();
    for (phase, _) in &rb.objectives.phases {
        if !labels.contains(&phase.value.as_str()) {
            let hint = crate::diagnostic::did_you_mean(&phase.value, labels.iter().copied())
                .unwrap_or_else(|| "give steps `phase: NAME`, or remove this objective".into());
            out.push(
                Diagnostic::error(
                    &rb.file,
                    phase.span,
                    "unknown-phase",
                    format!("objective for phase `{}`, which no step has", phase.value),
                )
                .hint(hint),
            );
        }
    }
    let vars: Vec<&str> = rb.vars.iter().map(|v| v.name.value.as_str()).collect();
    let mut gated = false;
    for s in &rb.steps {
        if let Some(crate::runbook::model::Loop {
            items: crate::runbook::model::LoopItems::Var(name),
            ..
        }) = &s.looping
            && !vars.contains(&name.value.as_str())
        {
            let hint = crate::diagnostic::did_you_mean(&name.value, vars.iter().copied())
                .unwrap_or_else(|| "define it under `vars:` as a list, or write the items".into());
            out.push(
                Diagnostic::error(
                    &s.file,
                    name.span,
                    "undefined-variable",
                    format!("`loop` names `{}`, which is not a variable", name.value),
                )
                .hint(hint),
            );
        }
        if matches!(s.action, Action::Approve(_)) {
            gated = true;
        }
        if let Some(p) = &s.point_of_no_return
            && p.value
            && !gated
        {
            out.push(
                Diagnostic::error(
                    &s.file,
                    p.span,
                    "unguarded-point-of-no-return",
                    format!(
                        "step `{}` is a point of no return with no approval gate before it",
                        s.id.value
                    ),
                )
                .hint("add an `approve:` step before it: a human decides to cross it"),
            );
        }
        let set = &s.settings;
        if let (Some(i), Some(m)) = (set.interval.or(rb.defaults.interval), set.max_interval)
            && m < i
        {
            out.push(
                Diagnostic::error(
                    &s.file,
                    s.span,
                    "max-interval-below-interval",
                    format!(
                        "step `{}`: `max_interval` is below `interval`, so polls never back off",
                        s.id.value
                    ),
                )
                .hint("make `max_interval` at least `interval`"),
            );
        }
    }
}

/// `needs:` names steps of the runbook, and the steps' order (`needs:`, else the step
/// before) has no cycle.
pub fn needs(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    let ids: Vec<&str> = rb.steps.iter().map(|s| s.id.value.as_str()).collect();
    let mut deps: Vec<Vec<usize>> = Vec::new();
    for (i, s) in rb.steps.iter().enumerate() {
        let mut d = Vec::new();
        for n in &s.needs {
            match ids.iter().position(|id| *id == n.value) {
                Some(j) => d.push(j),
                None => {
                    let hint = crate::diagnostic::did_you_mean(&n.value, ids.iter().copied())
                        .unwrap_or_else(|| "name the `id` of a step of this runbook".into());
                    out.push(
                        Diagnostic::error(
                            &s.file,
                            n.span,
                            "unknown-step",
                            format!(
                                "step `{}` needs `{}`, which is no step",
                                s.id.value, n.value
                            ),
                        )
                        .hint(hint),
                    );
                }
            }
        }
        if s.needs.is_empty() && i > 0 {
            d.push(i - 1);
        }
        deps.push(d);
    }
    // A cycle: some step reaches itself through what it waits for.
    for (i, s) in rb.steps.iter().enumerate() {
        let mut seen = vec![false; deps.len()];
        let mut stack = deps[i].clone();
        while let Some(j) = stack.pop() {
            if j == i {
                let at = s.needs.first().map_or(s.id.span, |n| n.span);
                out.push(
                    Diagnostic::error(
                        &s.file,
                        at,
                        "needs-cycle",
                        format!("step `{}` waits, through `needs:`, for itself", s.id.value),
                    )
                    .hint("a step without `needs:` waits for the step before it; break the cycle"),
                );
                break;
            }
            if !std::mem::replace(&mut seen[j], true) {
                stack.extend(&deps[j]);
            }
        }
    }
}

/// Warnings: destructive-looking steps with no way back, `until` without a timeout.
pub fn warnings(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    for s in &rb.steps {
        let on_failure = s
            .settings
            .on_failure
            .or(rb.defaults.on_failure)
            .unwrap_or(OnFailure::Rollback);
        if let Action::Run(cmd) = &s.action
            && s.rollback.is_none()
            && s.looks_destructive()
            && on_failure == OnFailure::Rollback
        {
            out.push(
                    Diagnostic::warning(&s.file, cmd.span, "no-rollback", format!("step `{}` looks destructive but has no `rollback`", s.id.value))
                        .hint("add `rollback:` with the command that undoes it, so a failed run can be undone"),
                );
        }
    }
}

/// A blank `run`, `rollback` or drill replacement would "succeed" doing nothing.
pub fn blank_commands(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    for s in &rb.steps {
        let mut fields = Vec::new();
        if let Action::Run(c) = &s.action {
            fields.push(("run", c));
        }
        if let Some(r) = &s.rollback {
            fields.push(("rollback", r));
        }
        if let DrillMode::Replace(d) = &s.drill {
            fields.push(("drill", d));
        }
        if let Some(c) = &s.check {
            fields.push(("check", &c.run));
        }
        for (what, c) in fields {
            if c.value.trim().is_empty() {
                out.push(
                    Diagnostic::error(
                        &s.file,
                        c.span,
                        "blank-command",
                        format!("`{what}` of step `{}` is blank", s.id.value),
                    )
                    .hint(if what == "drill" {
                        "give the command to run in a drill, or `drill: skip`"
                    } else {
                        "give the command, or remove the field"
                    }),
                );
            }
        }
    }
}

/// `expect`/`until` are compared literally: a template there would never match.
pub fn templates_in_checks(rb: &Runbook, out: &mut Vec<Diagnostic>) {
    for s in &rb.steps {
        for (what, c) in [("expect", &s.expect), ("until", &s.until)] {
            let Some(c) = c else { continue };
            let texts = [
                c.stdout.as_deref(),
                c.contains.as_deref(),
                c.regex.as_ref().map(|r| r.value.as_str()),
            ];
            if texts
                .iter()
                .flatten()
                .any(|t| t.contains("{{") || t.contains("{%"))
            {
                out.push(
                    Diagnostic::error(
                        &s.file,
                        c.span,
                        "template-in-check",
                        format!(
                            "`{what}` of step `{}` holds a template; `{what}` values are compared literally, never rendered",
                            s.id.value
                        ),
                    )
                    .hint("compare in the command instead, e.g. `run: test \"$(cmd)\" = {{ value }}`, or use a literal value"),
                );
            }
        }
    }
}
