//! Building a `RunReport` from a journal and the runbook copy it ran, and the small
//! questions asked of a built report.

use std::path::Path;

use drctl_core::Phase;
use drctl_core::checkpoint::Checkpoint;
use drctl_core::record::{Loaded, Record};
use drctl_core::time::ts_ms;
use drctl_model::runbook::model::Runbook;
use drctl_model::runbook::parse::parse_runbook;
use drctl_model::runbook::source::SourceFile;

use super::left_for_human::left_for_human;
use super::runs::{collect_runs, host_run, phases, span_of};
use super::{
    Approval, FailureReport, GateAnswerReport, HostRun, REPORT_VERSION, Recovery, RunReport,
    StepReport,
};

/// The runbook as it was when the run started (the copy its store saved).
pub fn saved_runbook(text: Option<&str>, l: &Loaded) -> Option<Runbook> {
    parse_runbook(&SourceFile::new(Path::new(&l.header.runbook), text?)).0
}

impl RunReport {
    /// `root (sudo from alice)`, or the user alone.
    pub fn run_by(&self) -> String {
        drctl_core::record::who(&self.user, self.sudo_user.as_deref())
    }

    /// The drctl that ran it, or `unknown` for journals that did not record it.
    pub fn drctl_version(&self) -> &str {
        self.drctl_version.as_deref().unwrap_or("unknown")
    }

    /// Build the report of the run whose journal is `l`, with the runbook copy saved at
    /// its start.
    pub fn build(saved: Option<&str>, l: &Loaded) -> RunReport {
        let h = &l.header;
        let rb = saved_runbook(saved, l);
        let cp = Checkpoint::from_journal(l);
        let t0 = ts_ms(&h.started_at);
        let (runs, order) = collect_runs(l);
        let mut step_ids: Vec<String> = rb
            .iter()
            .flat_map(|r| r.steps.iter().map(|s| s.id.value.clone()))
            .collect();
        for (s, _) in &order {
            if !step_ids.contains(s) {
                step_ids.push(s.clone());
            }
        }
        let mut steps = Vec::new();
        for id in &step_ids {
            let def = rb
                .as_ref()
                .and_then(|r| r.steps.iter().find(|s| &s.id.value == id));
            let pick = |phase: Phase| -> Vec<HostRun> {
                runs.iter()
                    .filter(|((s, p, _), _)| s == id && *p == phase)
                    .map(|((_, _, host), (start, fin))| host_run(host, start, fin.as_ref(), t0))
                    .collect()
            };
            steps.push(StepReport {
                id: id.clone(),
                title: def.map(|d| d.title().to_string()).unwrap_or(id.clone()),
                phase: def.and_then(|d| d.phase.clone()),
                state: String::new(),
                duration_ms: None,
                note: None,
                hosts: pick(Phase::Forward),
                rollback: pick(Phase::Rollback),
            });
        }
        let mut approvals = Vec::new();
        let mut answers = Vec::new();
        let mut notify_failures = Vec::new();
        for r in &l.records {
            match r {
                Record::Answer {
                    t,
                    step,
                    verdict,
                    by,
                    reason,
                    counted,
                } => answers.push(GateAnswerReport {
                    step: step.clone(),
                    verdict: verdict.to_string(),
                    person: by.person().to_string(),
                    user: by.user.clone(),
                    sudo_user: by.sudo_user.clone(),
                    uid: by.uid,
                    host: by.host.clone(),
                    tty: by.tty.clone(),
                    at: t.clone(),
                    reason: reason.clone(),
                    counted: *counted,
                }),
                Record::NotifyFailed {
                    t,
                    url,
                    event,
                    error,
                } => notify_failures.push(format!(
                    "{t}: the `{event}` notification to {url} was not delivered: {error}"
                )),
                _ => {}
            }
            let find = |id: &str| step_ids.iter().position(|s| s == id);
            if let Record::Gate {
                t,
                step,
                approved_by,
                message,
            } = r
            {
                approvals.push(Approval {
                    step: step.clone(),
                    approved_by: approved_by.clone(),
                    at: t.clone(),
                    offset_ms: ts_ms(t).zip(t0).map(|(s, t0)| s - t0),
                    message: message.clone(),
                });
            }
            match r {
                Record::StepEnd {
                    step,
                    phase: Phase::Forward,
                    ok,
                    duration_ms,
                    ..
                } => {
                    if let Some(i) = find(step) {
                        steps[i].state = if *ok { "done" } else { "failed" }.into();
                        steps[i].duration_ms = Some(*duration_ms);
                    }
                }
                Record::Skipped { step, reason, .. } => {
                    if let Some(i) = find(step) {
                        steps[i].state = "skipped".into();
                        steps[i].note = Some(reason.clone());
                    }
                }
                Record::Gate {
                    step, approved_by, ..
                } => {
                    if let Some(i) = find(step) {
                        steps[i].state = "approved".into();
                        steps[i].note = Some(format!("approved by {approved_by}"));
                    }
                }
                _ => {}
            }
        }
        for s in &mut steps {
            if s.state.is_empty() {
                s.state = if s.hosts.iter().any(|h| h.ok.is_none()) {
                    "unknown"
                } else if s.hosts.is_empty() {
                    "pending"
                } else {
                    "partial"
                }
                .into();
            }
        }
        let failures = steps
            .iter()
            .flat_map(|s| {
                let f = |phase: Phase| {
                    move |hr: &HostRun| {
                        (hr.ok == Some(false)).then(|| FailureReport {
                            step: s.id.clone(),
                            host: hr.host.clone(),
                            phase,
                            exit: hr.exit,
                            error: hr.error.clone(),
                            stderr_tail: hr.stderr_tail.clone(),
                        })
                    }
                };
                let fwd: Vec<_> = s.hosts.iter().filter_map(f(Phase::Forward)).collect();
                let rb: Vec<_> = s.rollback.iter().filter_map(f(Phase::Rollback)).collect();
                fwd.into_iter().chain(rb)
            })
            .collect();
        let end = l.records.iter().rev().find_map(|r| match r {
            Record::RunEnd {
                t,
                outcome,
                exit,
                message,
            } => Some((t.clone(), *outcome, *exit, message.clone())),
            _ => None,
        });
        let measured = cp.recovery_ms();
        // A run that did not recover (failed, rolled back, stopped at a gate) never met
        // its objective, however fast it went.
        let recovered = cp.ended.is_some_and(|(o, _)| o.recovered());
        let recovery = Recovery {
            measured_ms: measured,
            recovered,
            objective_ms: h.rto_ms,
            met: h
                .rto_ms
                .map(|o| recovered && measured.is_some_and(|m| m <= o)),
        };
        let left_for_human = left_for_human(
            &steps,
            rb.as_ref(),
            &cp,
            &h.run_id,
            h.mode == drctl_core::RunMode::Drill,
        );
        RunReport {
            report_version: REPORT_VERSION,
            run_id: h.run_id.clone(),
            runbook: h.runbook.clone(),
            name: h.name.clone(),
            kind: h.kind.clone(),
            mode: h.mode.as_str().into(),
            severity: h.severity.clone(),
            description: rb.as_ref().and_then(|r| r.description.clone()),
            user: h.user.clone(),
            sudo_user: h.sudo_user.clone(),
            drctl_version: h.drctl_version.clone(),
            controller: h.controller.clone(),
            started_at: h.started_at.clone(),
            ended_at: end.as_ref().map(|e| e.0.clone()),
            duration_ms: end
                .as_ref()
                .and_then(|e| ts_ms(&e.0))
                .zip(t0)
                .map(|(e, s)| (e - s).max(0) as u64),
            outcome: cp.outcome().0,
            exit: cp.outcome().1,
            message: end.map(|e| e.3),
            recovery,
            rollback_ms: span_of(&runs, |p, _| p == Phase::Rollback),
            rollback_reason: cp.rollback_begun.clone(),
            phases: phases(&steps, &runs, rb.as_ref(), recovered),
            steps,
            failures,
            approvals,
            answers,
            notify_failures,
            controllers: crate::controllers::controllers(l),
            left_for_human,
        }
    }

    /// Steps (forward, per host) and rollbacks that succeeded, failed, or are unknown.
    pub fn counts(&self) -> (usize, usize, usize) {
        let all = self
            .steps
            .iter()
            .flat_map(|s| s.hosts.iter().chain(s.rollback.iter()));
        all.fold((0, 0, 0), |(ok, bad, unk), h| match h.ok {
            Some(true) => (ok + 1, bad, unk),
            Some(false) => (ok, bad + 1, unk),
            None => (ok, bad, unk + 1),
        })
    }
}
