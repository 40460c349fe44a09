//! What a human must still check or do after a run, in plain sentences.

use drctl_core::checkpoint::{Checkpoint, HostState};
use drctl_core::{Outcome, Phase};
use drctl_model::runbook::model::{DrillMode, Runbook};

use super::StepReport;

pub(super) fn left_for_human(
    steps: &[StepReport],
    rb: Option<&Runbook>,
    cp: &Checkpoint,
    run_id: &str,
    drill: bool,
) -> Vec<String> {
    let mut left = Vec::new();
    for (step, host, phase) in cp.in_flight() {
        let what = if phase == Phase::Rollback {
            "the rollback of step"
        } else {
            "step"
        };
        left.push(format!(
            "{what} `{step}` was in flight on `{host}` when the run stopped: check the host, then `drctl resume {run_id} --rerun {step}` or `--skip {step}`"
        ));
    }
    for s in steps {
        for h in s.rollback.iter().filter(|h| h.ok == Some(false)) {
            left.push(format!(
                "the rollback of step `{}` failed on `{}`: undo it by hand",
                s.id, h.host
            ));
        }
    }
    // What a run changed stays wanted only when it ran to its end; a rollback that began,
    // or a run that stopped early (at a gate, on Ctrl-C, a drill before its cleanup), leaves
    // its completed steps for a human to finish or undo.
    let finished = cp
        .ended
        .is_some_and(|(o, _)| o.is_final() && o != Outcome::RolledBack);
    if cp.rollback_begun.is_none() {
        // Failures the run went on past (`on_failure: continue`) or stopped at: whatever
        // they left (a primary not fenced) is for a human to check.
        for s in steps {
            let failed: Vec<&str> = s
                .hosts
                .iter()
                .filter(|h| h.ok == Some(false))
                .map(|h| h.host.as_str())
                .collect();
            if !failed.is_empty() {
                left.push(format!(
                    "step `{}` failed on {} and was not rolled back: check what it left",
                    s.id,
                    failed.join(", ")
                ));
            }
        }
    }
    if cp.rollback_begun.is_some() || !finished {
        for s in steps.iter().rev() {
            let def = rb.and_then(|r| r.steps.iter().find(|d| d.id.value == s.id));
            let has_rollback = def.is_some_and(|d| d.rollback.is_some());
            // Under a drill, a step that ran its `drill:` replacement changed nothing real.
            let replaced = drill
                && def.is_some_and(|d| matches!(d.drill, DrillMode::Replace(_) | DrillMode::Skip));
            let changes = def.is_some_and(|d| d.changes_state()) && !replaced;
            let done: Vec<&str> = s
                .hosts
                .iter()
                .filter(|h| h.ok == Some(true))
                .filter(|h| cp.rollback_state(&s.id, &h.host) != Some(HostState::Ok))
                .map(|h| h.host.as_str())
                .collect();
            if done.is_empty() {
                continue;
            }
            if has_rollback {
                if !s.rollback.iter().any(|r| r.ok == Some(false)) {
                    left.push(format!(
                        "step `{}` is still applied on {} (not rolled back): `drctl resume {run_id}` goes on, `drctl rollback {run_id}` undoes it",
                        s.id,
                        done.join(", ")
                    ));
                }
            } else if changes {
                left.push(format!(
                    "step `{}` has no rollback; if it changed {}, undo that by hand",
                    s.id,
                    done.join(", ")
                ));
            }
        }
    }
    left
}
