//! The Markdown after-action report, for people.

use std::fmt::Write as _;

use crate::after_action::{HostRun, RunReport};
use drctl_core::Phase;

use super::{cell, ms, recovery_line, transfer_rate};

fn timeline_row(s: &mut String, step: &str, phase: Phase, h: &HostRun) {
    let result = match h.ok {
        Some(true) => match transfer_rate(&h.stdout_tail) {
            Some(r) => format!("ok ({r})"),
            None => "ok".to_string(),
        },
        Some(false) => format!(
            "**FAILED**{}",
            h.exit.map(|e| format!(" (exit {e})")).unwrap_or_default()
        ),
        None => "**unknown** (in flight)".into(),
    };
    let what = if phase == Phase::Rollback {
        format!("rollback `{step}`")
    } else {
        format!("`{step}`")
    };
    let _ = writeln!(
        s,
        "| +{} | {what} | {} | {result} | {} | {} |",
        ms(h.offset_ms.map(|o| o.max(0) as u64)),
        cell(&h.host),
        h.attempts,
        ms(h.duration_ms)
    );
}

/// The Markdown after-action report.
pub fn markdown(r: &RunReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# After-action report: {} ({})\n", r.name, r.mode);
    if let Some(d) = &r.description {
        let _ = writeln!(s, "{d}\n");
    }
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| Run | `{}` |", r.run_id);
    let sev = r.severity.as_deref().unwrap_or("none");
    let _ = writeln!(
        s,
        "| Runbook | `{}` (kind {}, severity {sev}) |",
        r.runbook, r.kind
    );
    let _ = writeln!(s, "| Run by | {} on {} |", r.run_by(), r.controller);
    let _ = writeln!(s, "| drctl | {} |", r.drctl_version());
    let _ = writeln!(s, "| Started | {} |", r.started_at);
    let ended = r
        .ended_at
        .as_deref()
        .unwrap_or("not ended (stopped or crashed)");
    let _ = writeln!(s, "| Ended | {ended} (took {}) |", ms(r.duration_ms));
    let exit = r.exit.map(|e| format!(" (exit {e})")).unwrap_or_default();
    let msg = r.message.as_deref().map(cell).unwrap_or_default();
    let _ = writeln!(s, "| Outcome | **{}**{exit}: {msg} |", r.outcome);
    let _ = writeln!(s, "| Recovery time | {} |", recovery_line(r));
    if r.rollback_ms.is_some() {
        let _ = writeln!(s, "| Rollback time | {} |", ms(r.rollback_ms));
    }
    let _ = writeln!(
        s,
        "\n## Phases\n\n| Phase | Steps | Time | Objective |\n|---|---|---|---|"
    );
    for p in &r.phases {
        let objective = match (p.objective_ms, p.met) {
            (Some(o), Some(met)) => {
                format!("{}: {}", ms(Some(o)), if met { "met" } else { "NOT MET" })
            }
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {objective} |",
            cell(&p.name),
            p.steps.join(", "),
            ms(Some(p.duration_ms))
        );
    }
    let _ = writeln!(
        s,
        "\n## Steps\n\n| Step | Phase | State | Time | Note |\n|---|---|---|---|---|"
    );
    for st in &r.steps {
        let _ = writeln!(
            s,
            "| `{}` {} | {} | {} | {} | {} |",
            st.id,
            if st.title != st.id {
                cell(&st.title)
            } else {
                String::new()
            },
            st.phase.as_deref().map(cell).unwrap_or_default(),
            st.state,
            ms(st.duration_ms),
            st.note.as_deref().map(cell).unwrap_or_default()
        );
    }
    let _ = writeln!(
        s,
        "\n## Timeline\n\n| At | Command | Host | Result | Attempts | Took |\n|---|---|---|---|---|---|"
    );
    let mut rows: Vec<(i64, &str, Phase, &HostRun)> = Vec::new();
    for st in &r.steps {
        rows.extend(
            st.hosts
                .iter()
                .map(|h| (h.offset_ms.unwrap_or(0), st.id.as_str(), Phase::Forward, h)),
        );
        rows.extend(
            st.rollback
                .iter()
                .map(|h| (h.offset_ms.unwrap_or(0), st.id.as_str(), Phase::Rollback, h)),
        );
    }
    rows.sort_by_key(|r| (r.0, r.2));
    for (_, step, phase, h) in rows {
        timeline_row(&mut s, step, phase, h);
    }
    let _ = writeln!(s, "\n## Failures\n");
    if r.failures.is_empty() {
        let _ = writeln!(s, "None.");
    }
    for f in &r.failures {
        let what = if f.phase == Phase::Rollback {
            "rollback of "
        } else {
            ""
        };
        let exit = f.exit.map(|e| format!(", exit {e}")).unwrap_or_default();
        let _ = writeln!(s, "### {what}`{}` on `{}`{exit}\n", f.step, f.host);
        if let Some(e) = &f.error {
            let _ = writeln!(s, "{e}\n");
        }
        if !f.stderr_tail.trim().is_empty() {
            let _ = writeln!(s, "```\n{}\n```\n", f.stderr_tail.trim_end());
        }
    }
    let _ = writeln!(s, "\n## Rollback\n");
    match &r.rollback_reason {
        None => {
            let _ = writeln!(s, "No rollback was started.");
        }
        Some(reason) => {
            let _ = writeln!(s, "Started because: {reason}\n");
            for st in r.steps.iter().rev() {
                for h in &st.rollback {
                    let res = match h.ok {
                        Some(true) => "undone",
                        Some(false) => "**rollback FAILED**",
                        None => "**unknown** (in flight)",
                    };
                    let _ = writeln!(
                        s,
                        "- `{}` on `{}`: {res} ({})",
                        st.id,
                        h.host,
                        ms(h.duration_ms)
                    );
                }
            }
        }
    }
    if !r.approvals.is_empty() || !r.answers.is_empty() {
        let _ = writeln!(s, "\n## Approvals\n");
        for a in &r.approvals {
            let _ = writeln!(
                s,
                "- gate `{}` passed at {}: approved by {}",
                a.step, a.at, a.approved_by
            );
        }
        for a in &r.answers {
            let from = match &a.tty {
                Some(tty) => format!("{} ({tty})", a.host),
                None => a.host.clone(),
            };
            let sudo = match &a.sudo_user {
                Some(su) => format!(" (sudo by {su})"),
                None => String::new(),
            };
            let why = a
                .reason
                .as_deref()
                .map_or(String::new(), |r| format!(": {r}"));
            let note = if a.counted {
                ""
            } else {
                " (not counted: same person twice)"
            };
            let _ = writeln!(
                s,
                "- `drctl {}` of `{}` by {}{sudo} (uid {}) on {from} at {}{why}{note}",
                a.verdict, a.step, a.user, a.uid, a.at
            );
        }
    }
    if !r.notify_failures.is_empty() {
        let _ = writeln!(s, "\n## Notifications not delivered\n");
        for n in &r.notify_failures {
            let _ = writeln!(s, "- {n}");
        }
    }
    crate::controllers::markdown(&mut s, &r.controllers);
    let _ = writeln!(s, "\n## Left for a human\n");
    if r.left_for_human.is_empty() {
        let _ = writeln!(s, "Nothing: every step that ran is accounted for.");
    }
    for l in &r.left_for_human {
        let _ = writeln!(s, "- {l}");
    }
    s
}
