//! The plan as shown by `drctl plan`: text for people, JSON for tools. Secrets masked.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use drctl_model::plan::{Plan, PlanStep};
use drctl_model::runbook::duration::format_duration;
use drctl_model::runbook::model::{Action, OnFailure};
use drctl_model::template::{Engine, Mode};

#[derive(Debug, Serialize)]
pub struct PlanView {
    pub name: String,
    pub kind: String,
    pub mode: String,
    pub severity: Option<String>,
    pub rto: Option<String>,
    pub inventory: Option<String>,
    pub missing_env: Vec<String>,
    pub steps: Vec<StepView>,
}

#[derive(Debug, Serialize)]
pub struct StepView {
    pub id: String,
    pub name: String,
    pub phase: Option<String>,
    pub action: String,
    pub hosts: Vec<String>,
    pub gate: Option<String>,
    pub when: Option<String>,
    pub skipped_in_mode: bool,
    pub timeout: String,
    pub retries: u32,
    pub on_failure: OnFailure,
    pub serial: Option<usize>,
    pub idempotent: bool,
    pub capture: Option<String>,
    /// `check:`: the command that says whether the step's effect is in place.
    pub check: Option<String>,
    /// Rollback never crosses this step once it succeeded.
    pub point_of_no_return: bool,
    /// `needs:` — the steps it waits for (empty: the one before it).
    pub needs: Vec<String>,
    /// Per host: the command (or transfer) as it would run, secrets masked.
    pub commands: BTreeMap<String, String>,
    pub rollback: BTreeMap<String, String>,
    /// Per host where the step runs as another account (`become`): `root (sudo)`.
    pub run_as: BTreeMap<String, String>,
}

fn render_or_err(
    plan: &Plan,
    engine: &Engine,
    src: &str,
    mode: Mode,
    s: &PlanStep,
    h: Option<&drctl_model::runbook::inventory::Host>,
    caps: &BTreeMap<String, String>,
) -> String {
    plan.render(engine, src, mode, s, h, caps, true)
        .unwrap_or_else(|e| format!("<template error: {e}>"))
}

/// Build the view. `captures` stands in for values captured at run time.
pub fn build(plan: &Plan, captures: &BTreeMap<String, String>) -> PlanView {
    let engine = Engine::default();
    let rb = &plan.runbook;
    let mut caps = captures.clone();
    for s in &rb.steps {
        if let Some(c) = &s.capture {
            caps.entry(c.value.clone())
                .or_insert_with(|| format!("<{} captured by {}>", c.value, s.id.value));
        }
    }
    let steps = plan
        .steps
        .iter()
        .map(|s| {
            let mut commands = BTreeMap::new();
            let mut rollback = BTreeMap::new();
            let mut run_as = BTreeMap::new();
            for h in &s.hosts {
                if let Some(b) = drctl_model::runbook::become_keys::effective(&s.step, h) {
                    run_as.insert(
                        h.name.clone(),
                        format!("{} ({})", b.user, b.method.as_str()),
                    );
                }
                let text = match (&s.step.action, &s.command) {
                    (Action::Run(_), Some(c)) => {
                        render_or_err(plan, &engine, c, Mode::Command, s, Some(h), &caps)
                    }
                    (Action::Upload(t), _) => format!(
                        "upload {} -> {}",
                        render_or_err(plan, &engine, &t.src, Mode::Text, s, Some(h), &caps),
                        render_or_err(plan, &engine, &t.dest, Mode::Text, s, Some(h), &caps)
                    ),
                    (Action::Download(t), _) => format!(
                        "download {} -> {}",
                        render_or_err(plan, &engine, &t.src, Mode::Text, s, Some(h), &caps),
                        render_or_err(plan, &engine, &t.dest, Mode::Text, s, Some(h), &caps)
                    ),
                    _ => "(skipped in drill)".into(),
                };
                commands.insert(h.name.clone(), text);
                if let Some(r) = &s.step.rollback {
                    rollback.insert(
                        h.name.clone(),
                        render_or_err(plan, &engine, r, Mode::Command, s, Some(h), &caps),
                    );
                }
            }
            let gate = match &s.step.action {
                Action::Approve(m) => {
                    let text = render_or_err(plan, &engine, m, Mode::Text, s, None, &caps);
                    Some(match &s.step.approvers {
                        Some(n) if n.value > 1 => {
                            format!("{text} ({} distinct approvers)", n.value)
                        }
                        _ => text,
                    })
                }
                _ => None,
            };
            StepView {
                id: s.step.id.value.clone(),
                name: s.step.title().to_string(),
                phase: s.step.phase.clone(),
                action: s.step.action.kind().into(),
                hosts: s.hosts.iter().map(|h| h.name.clone()).collect(),
                gate,
                when: s.step.when.as_ref().map(|w| w.value.clone()),
                skipped_in_mode: s.skipped_by_mode,
                timeout: format_duration(s.timeout),
                retries: s.retries,
                on_failure: s.on_failure,
                serial: s.serial,
                idempotent: s.idempotent,
                capture: s.step.capture.as_ref().map(|c| c.value.clone()),
                check: s.step.check.as_ref().map(|c| c.run.value.clone()),
                point_of_no_return: s.point_of_no_return,
                needs: s.step.needs.iter().map(|n| n.value.clone()).collect(),
                commands,
                rollback,
                run_as,
            }
        })
        .collect();
    PlanView {
        name: rb.name.clone(),
        kind: rb.kind.clone(),
        mode: plan.mode.as_str().into(),
        severity: rb.severity.clone(),
        rto: rb.objectives.rto.map(format_duration),
        inventory: plan.inventory.file.as_ref().map(|f| f.display()),
        missing_env: plan.missing_env.clone(),
        steps,
    }
}

/// Human-readable plan.
pub fn render_text(v: &PlanView) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "plan: {} ({}{}, mode {}){}",
        v.name,
        v.kind,
        v.severity
            .as_ref()
            .map(|s| format!(", {s}"))
            .unwrap_or_default(),
        v.mode,
        v.rto
            .as_ref()
            .map(|r| format!(", RTO {r}"))
            .unwrap_or_default()
    );
    if let Some(i) = &v.inventory {
        let _ = writeln!(o, "inventory: {i}");
    }
    for m in &v.missing_env {
        let _ = writeln!(
            o,
            "warning: environment variable {m} is not set; a run would stop"
        );
    }
    for (i, s) in v.steps.iter().enumerate() {
        let phase = s
            .phase
            .as_ref()
            .map(|p| format!(" [{p}]"))
            .unwrap_or_default();
        let _ = writeln!(o, "\n{:>2}. {}{}", i + 1, s.id, phase);
        if s.name != s.id {
            let _ = writeln!(o, "    name: {}", s.name);
        }
        if let Some(g) = &s.gate {
            let _ = writeln!(o, "    GATE (approval needed): {g}");
            continue;
        }
        if s.skipped_in_mode {
            let _ = writeln!(o, "    skipped in {} mode", v.mode);
        }
        if let Some(w) = &s.when {
            let _ = writeln!(o, "    when: {w}");
        }
        if !s.needs.is_empty() {
            let _ = writeln!(
                o,
                "    needs: {} (runs as soon as they ended)",
                s.needs.join(", ")
            );
        }
        let mut settings =
            format!("timeout {}, on_failure {:?}", s.timeout, s.on_failure).to_lowercase();
        if s.retries > 0 {
            settings.push_str(&format!(", retries {}", s.retries));
        }
        if let Some(n) = s.serial {
            settings.push_str(&format!(", serial {n}"));
        }
        if s.idempotent {
            settings.push_str(", idempotent");
        }
        let _ = writeln!(
            o,
            "    on: {} ({settings})",
            if s.hosts.is_empty() {
                "(no hosts)".into()
            } else {
                s.hosts.join(", ")
            }
        );
        // A multi-line command keeps its lines under the first.
        let indent = |text: &str| text.replace('\n', "\n        ");
        for (h, c) in &s.commands {
            match s.run_as.get(h) {
                Some(who) => {
                    let _ = writeln!(o, "    {h} as {who}: {}", indent(c));
                }
                None => {
                    let _ = writeln!(o, "    {h}: {}", indent(c));
                }
            }
        }
        if let Some(c) = &s.capture {
            let _ = writeln!(o, "    captures: {c}");
        }
        if let Some(c) = &s.check {
            let _ = writeln!(o, "    check (settles it after a crash): {}", indent(c));
        }
        for (h, r) in &s.rollback {
            let _ = writeln!(o, "    rollback on {h}: {}", indent(r));
        }
        if s.point_of_no_return {
            let _ = writeln!(
                o,
                "    ==== POINT OF NO RETURN: once this succeeded, rollback stops here ===="
            );
        }
    }
    o
}
