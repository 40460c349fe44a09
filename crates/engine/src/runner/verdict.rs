//! How a run's end is judged: success, continued failures, nothing run, a drill's
//! leftovers, objectives (RTO and per phase), and a host left in doubt.

use drctl_core::checkpoint::HostState;
use drctl_core::{Outcome, Phase};
use drctl_model::runbook::duration::format_duration;
use drctl_model::runbook::model::{Action, DrillMode};

use super::{Runner, fanout};
use crate::RunOutcome;

impl Runner {
    /// The measured recovery time against `objectives.rto`: `Err` says by how much it missed.
    pub(super) fn rto_verdict(&self) -> Result<(), String> {
        let fmt = |ms: u64| format_duration(std::time::Duration::from_millis(ms));
        let objectives = &self.plan.runbook.objectives;
        let cp = self.cp();
        let mut missed = Vec::new();
        if let (Some(o), Some(m)) = (objectives.rto, cp.recovery_ms())
            && u128::from(m) > o.as_millis()
        {
            missed.push(format!(
                "the recovery time {} missed the objective {}",
                fmt(m),
                format_duration(o)
            ));
        }
        // Per phase: the span of the steps carrying its `phase:` label.
        for (phase, o) in &objectives.phases {
            let steps = self
                .plan
                .steps
                .iter()
                .filter(|ps| ps.step.phase.as_deref() == Some(phase.value.as_str()))
                .map(|ps| ps.step.id.value.as_str());
            if let Some(m) = cp.span_ms(steps)
                && u128::from(m) > o.as_millis()
            {
                missed.push(format!(
                    "phase `{}` took {}, over its objective {}",
                    phase.value,
                    fmt(m),
                    format_duration(*o)
                ));
            }
        }
        if missed.is_empty() {
            Ok(())
        } else {
            Err(missed.join("; "))
        }
    }

    /// How a run whose forward steps all ended ends: succeeded, or — never silently —
    /// with failures it went on past, or with nothing run at all.
    pub(super) fn completion(&self) -> RunOutcome {
        let cp = self.cp();
        let continued: Vec<String> = self
            .plan
            .steps
            .iter()
            .filter_map(|ps| {
                let id = &ps.step.id.value;
                let hosts = cp.step_failed.get(id)?;
                Some(format!("`{id}` failed on {}", hosts.join(", ")))
            })
            .collect();
        if !continued.is_empty() {
            return RunOutcome::new(
                Outcome::CompletedWithFailures,
                format!(
                    "every step ran, but the run went on past failures (on_failure: continue): {}; a human must check what they left",
                    continued.join("; ")
                ),
            );
        }
        let commands = self
            .plan
            .steps
            .iter()
            .any(|ps| !matches!(ps.step.action, Action::Approve(_)));
        if commands && cp.forward.is_empty() {
            return RunOutcome::new(
                Outcome::NothingRan,
                "every step was skipped (`--limit` left no host, or every `when` was false): nothing ran",
            );
        }
        RunOutcome::new(Outcome::Succeeded, "every step succeeded")
    }

    /// After a drill's clean rollback: what it still leaves for a human (a step that ran
    /// its real command, changed state and has no rollback), or `None`.
    pub(super) fn drill_leftovers(&self) -> Option<String> {
        let cp = self.cp();
        let left: Vec<String> = self
            .plan
            .steps
            .iter()
            .filter(|ps| {
                ps.step.rollback.is_none()
                    && ps.step.changes_state()
                    && !matches!(ps.step.drill, DrillMode::Replace(_) | DrillMode::Skip)
            })
            .filter_map(|ps| {
                let id = &ps.step.id.value;
                let hosts: Vec<&str> = ps
                    .hosts
                    .iter()
                    .filter(|h| cp.forward_state(id, &h.name) == Some(HostState::Ok))
                    .map(|h| h.name.as_str())
                    .collect();
                (!hosts.is_empty()).then(|| {
                    format!(
                        "step `{id}` changed {} and has no rollback",
                        hosts.join(", ")
                    )
                })
            })
            .collect();
        (!left.is_empty()).then(|| left.join("; "))
    }

    /// A step whose connection dropped mid-command on some host: its outcome there is
    /// unknown, so the run stops for a human exactly as after a crash (no rollback
    /// pretends to know what happened).
    pub(crate) fn in_doubt(
        &self,
        id: &str,
        results: &fanout::StepResults,
        phase: Phase,
    ) -> Option<RunOutcome> {
        let hosts: Vec<&str> = results
            .iter()
            .filter(|(_, o)| o.in_doubt)
            .map(|(h, _)| h.as_str())
            .collect();
        if hosts.is_empty() {
            return None;
        }
        let what = match phase {
            Phase::Forward => "step",
            Phase::Rollback => "the rollback of step",
        };
        let run = &self.plan.run_id;
        let one = hosts[0];
        Some(self.finish(RunOutcome::new(
            Outcome::InFlight,
            format!(
                "the connection to {} was lost while {what} `{id}` ran; its outcome there is unknown. Check the host, then `drctl resume {run} --rerun {id}@{one}` or `--skip {id}@{one}`",
                hosts.join(", ")
            ),
        )))
    }
}
