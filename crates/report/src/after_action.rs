//! The after-action report of one run, built from its journal and the copy of the runbook
//! it ran: who, when, from where; every step and host with timings; time per phase; the
//! recovery time against the objective; failures; rollbacks; what is left for a human.
//! One model, rendered as Markdown, JSON, JUnit and Prometheus text by `report::formats`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use drctl_core::checkpoint::{Checkpoint, HostState};
use drctl_core::record::{Loaded, Record};
use drctl_core::time::ts_ms;
use drctl_core::{Outcome, Phase};
use drctl_model::runbook::model::{DrillMode, Runbook};
use drctl_model::runbook::parse::parse_runbook;
use drctl_model::runbook::source::SourceFile;

/// Version of the JSON report's shape.
pub const REPORT_VERSION: u32 = 1;

/// One command on one host (the latest attempt series of that step, phase and host).
#[derive(Debug, Clone, Serialize)]
pub struct HostRun {
    pub host: String,
    /// `None`: started, never finished: its outcome is unknown.
    pub ok: Option<bool>,
    pub exit: Option<i32>,
    pub attempts: u32,
    pub started_at: String,
    /// Milliseconds from the run's start.
    pub offset_ms: Option<i64>,
    pub duration_ms: Option<u64>,
    pub error: Option<String>,
    pub stdout_tail: String,
    pub stderr_tail: String,
}

/// One step of the runbook and what happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub id: String,
    pub title: String,
    pub phase: Option<String>,
    /// done, failed, skipped, approved, partial, unknown (in flight), pending.
    pub state: String,
    pub duration_ms: Option<u64>,
    pub note: Option<String>,
    pub hosts: Vec<HostRun>,
    pub rollback: Vec<HostRun>,
}

/// Wall time of one `phase:` label: its first step's start to its last step's end.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseTime {
    pub name: String,
    pub steps: Vec<String>,
    pub duration_ms: u64,
    /// `objectives.phases` for this phase, if set.
    pub objective_ms: Option<u64>,
    /// Met: within its objective, in a run that recovered.
    pub met: Option<bool>,
}

/// Recovery time (first forward step start to last forward step end) against `objectives.rto`.
#[derive(Debug, Clone, Serialize)]
pub struct Recovery {
    /// The run did what it was for (succeeded, or a drill passed its steps): only then can
    /// the objective be met.
    pub recovered: bool,
    pub measured_ms: Option<u64>,
    pub objective_ms: Option<u64>,
    pub met: Option<bool>,
}

/// A host where a step or its rollback failed.
#[derive(Debug, Clone, Serialize)]
pub struct FailureReport {
    pub step: String,
    pub host: String,
    pub phase: Phase,
    pub exit: Option<i32>,
    pub error: Option<String>,
    pub stderr_tail: String,
}

/// A gate passed: who approved it, when, and the message they answered.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub step: String,
    pub approved_by: String,
    pub at: String,
    /// Milliseconds from the run's start.
    pub offset_ms: Option<i64>,
    pub message: Option<String>,
}

/// An answer to a gate given from another terminal (`drctl approve`/`decline`).
#[derive(Debug, Clone, Serialize)]
pub struct GateAnswerReport {
    pub step: String,
    /// `approve` or `decline`.
    pub verdict: String,
    /// The person (the sudo user if any, else the user).
    pub person: String,
    pub user: String,
    pub sudo_user: Option<String>,
    pub uid: u32,
    pub host: String,
    pub tty: Option<String>,
    pub at: String,
    pub reason: Option<String>,
    /// False: that person had already approved the gate (four-eyes counts persons).
    pub counted: bool,
}

/// Everything an after-action report says about a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub report_version: u32,
    pub run_id: String,
    pub runbook: String,
    pub name: String,
    pub kind: String,
    pub mode: String,
    pub severity: Option<String>,
    pub description: Option<String>,
    pub user: String,
    /// The person behind sudo (`SUDO_USER`) when it differs from `user`.
    pub sudo_user: Option<String>,
    /// The drctl that ran it (`0.1.0 (commit abc123)`); absent in journals before 0.1.
    pub drctl_version: Option<String>,
    pub controller: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub duration_ms: Option<u64>,
    pub outcome: String,
    pub exit: Option<i32>,
    pub message: Option<String>,
    pub recovery: Recovery,
    pub rollback_ms: Option<u64>,
    pub rollback_reason: Option<String>,
    pub phases: Vec<PhaseTime>,
    pub steps: Vec<StepReport>,
    pub failures: Vec<FailureReport>,
    /// Gates passed, in order (who approved, when).
    pub approvals: Vec<Approval>,
    /// Answers given from other terminals, in order.
    pub answers: Vec<GateAnswerReport>,
    /// Notifications that could not be delivered (`notify:`), one sentence each.
    pub notify_failures: Vec<String>,
    /// Plain sentences: what a human must still check or do.
    pub left_for_human: Vec<String>,
}

/// Per (step, host, phase): start time and the finish record, if any (latest wins).
type Runs = BTreeMap<(String, Phase, String), (String, Option<Record>)>;

fn collect_runs(l: &Loaded) -> (Runs, Vec<(String, String)>) {
    let mut runs = Runs::new();
    let mut order = Vec::new();
    for r in &l.records {
        match r {
            Record::Started {
                t,
                step,
                host,
                phase,
            } => {
                runs.insert((step.clone(), *phase, host.clone()), (t.clone(), None));
                order.push((step.clone(), host.clone()));
            }
            Record::Finished {
                step, host, phase, ..
            } => {
                if let Some(e) = runs.get_mut(&(step.clone(), *phase, host.clone())) {
                    e.1 = Some(r.clone());
                }
            }
            // `--skip STEP[@HOST]` on resume: the operator vouched for a command left in
            // flight; show it as done, saying so (as the checkpoint counts it).
            Record::Decision {
                t,
                step,
                host,
                decision,
                phase,
                by,
            } if *decision == drctl_core::Decision::Skip => {
                if let Some(e) = runs.get_mut(&(step.clone(), *phase, host.clone())) {
                    e.1 = Some(Record::Finished {
                        t: t.clone(),
                        step: step.clone(),
                        host: host.clone(),
                        phase: *phase,
                        ok: true,
                        exit: None,
                        attempts: 0,
                        duration_ms: 0,
                        digest: String::new(),
                        error: Some(if by.as_deref() == Some("check") {
                            "outcome unknown after a crash; its check found the effect in place"
                                .into()
                        } else {
                            "outcome unknown after a crash; the operator said it was done (--skip)"
                                .into()
                        }),
                        stdout_tail: String::new(),
                        stderr_tail: String::new(),
                        captured: None,
                        command: None,
                        in_doubt: false,
                    });
                }
            }
            _ => {}
        }
    }
    (runs, order)
}

fn host_run(host: &str, start: &str, fin: Option<&Record>, t0: Option<i64>) -> HostRun {
    let mut h = HostRun {
        host: host.into(),
        ok: None,
        exit: None,
        attempts: 0,
        started_at: start.into(),
        offset_ms: ts_ms(start).zip(t0).map(|(s, t0)| s - t0),
        duration_ms: None,
        error: Some("started, never finished: outcome unknown".into()),
        stdout_tail: String::new(),
        stderr_tail: String::new(),
    };
    if let Some(Record::Finished {
        ok,
        exit,
        attempts,
        duration_ms,
        error,
        stdout_tail,
        stderr_tail,
        in_doubt,
        ..
    }) = fin
    {
        // A connection lost mid-command: the outcome is as unknown as after a crash.
        h.ok = (!*in_doubt).then_some(*ok);
        h.exit = *exit;
        h.attempts = *attempts;
        h.duration_ms = Some(*duration_ms);
        h.error = error.clone();
        h.stdout_tail = stdout_tail.clone();
        h.stderr_tail = stderr_tail.clone();
    }
    h
}

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

/// Wall time covered by the runs matching `f`: first start to last finish.
fn span_of(runs: &Runs, f: impl Fn(Phase, &str) -> bool) -> Option<u64> {
    let mut first: Option<i64> = None;
    let mut last: Option<i64> = None;
    for ((step, phase, _), (start, fin)) in runs {
        if !f(*phase, step) {
            continue;
        }
        let s = ts_ms(start);
        first = match (first, s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(Record::Finished { t, .. }) = fin {
            last = last.max(ts_ms(t));
        }
    }
    Some((last? - first?).max(0) as u64)
}

fn phases(
    steps: &[StepReport],
    runs: &Runs,
    rb: Option<&Runbook>,
    recovered: bool,
) -> Vec<PhaseTime> {
    let objective = |name: &str| {
        rb?.objectives
            .phases
            .iter()
            .find(|(p, _)| p.value == name)
            .map(|(_, d)| d.as_millis() as u64)
    };
    let mut names: Vec<String> = Vec::new();
    for s in steps {
        let n = s.phase.clone().unwrap_or_else(|| "(no phase)".into());
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let members: Vec<String> = steps
                .iter()
                .filter(|s| s.phase.as_deref().unwrap_or("(no phase)") == name)
                .map(|s| s.id.clone())
                .collect();
            let d = span_of(runs, |p, step| {
                p == Phase::Forward && members.iter().any(|m| m == step)
            })?;
            let objective_ms = objective(&name);
            Some(PhaseTime {
                met: objective_ms.map(|o| recovered && d <= o),
                objective_ms,
                name,
                steps: members,
                duration_ms: d,
            })
        })
        .collect()
}

fn left_for_human(
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

#[cfg(test)]
mod tests {
    use super::*;
    use drctl_core::record::{Header, JOURNAL_VERSION};

    const RB: &str = "drctl: 1\nkind: failover\nname: t\nobjectives:\n  rto: 10s\nsteps:\n  - id: fence\n    phase: failover\n    on: h1\n    run: stop\n    on_failure: continue\n  - id: promote\n    phase: failover\n    on: h2\n    run: pg_ctl promote\n";

    fn at(s: u32) -> String {
        format!("2026-01-01T00:00:{s:02}Z")
    }

    fn run(step: &str, host: &str, ok: bool, from: u32, to: u32) -> [Record; 2] {
        [
            Record::Started {
                t: at(from),
                step: step.into(),
                host: host.into(),
                phase: Phase::Forward,
            },
            Record::Finished {
                t: at(to),
                step: step.into(),
                host: host.into(),
                phase: Phase::Forward,
                ok,
                exit: Some(if ok { 0 } else { 255 }),
                attempts: 1,
                duration_ms: u64::from(to - from) * 1000,
                digest: String::new(),
                error: (!ok).then(|| "cannot connect".to_string()),
                stdout_tail: String::new(),
                stderr_tail: String::new(),
                captured: None,
                command: None,
                in_doubt: false,
            },
        ]
    }

    fn journal(end: Outcome, exit: i32) -> Loaded {
        let header = Header {
            version: JOURNAL_VERSION,
            run_id: "t-1".into(),
            runbook: "/rb.yaml".into(),
            runbook_sha256: String::new(),
            name: "t".into(),
            kind: "failover".into(),
            mode: drctl_core::RunMode::Run,
            severity: None,
            started_at: at(0),
            user: "ops".into(),
            sudo_user: Some("alice".into()),
            drctl_version: Some("0.1.0 (commit abc)".into()),
            controller: "ctl".into(),
            pid: 1,
            inventory: None,
            vars: Default::default(),
            limit: None,
            rto_ms: Some(10_000),
        };
        let mut records = vec![Record::Header(header.clone())];
        records.extend(run("fence", "h1", false, 2, 3));
        records.push(Record::StepEnd {
            t: at(3),
            step: "fence".into(),
            phase: Phase::Forward,
            ok: false,
            failed_hosts: vec!["h1".into()],
            duration_ms: 1000,
        });
        records.extend(run("promote", "h2", true, 3, 5));
        records.push(Record::RunEnd {
            t: at(5),
            outcome: end,
            exit,
            message: "m".into(),
        });
        Loaded {
            header,
            records,
            torn_tail: false,
        }
    }

    #[test]
    fn a_continued_failure_is_left_for_a_human_and_recovery_counts_from_the_start() {
        let r = RunReport::build(Some(RB), &journal(Outcome::CompletedWithFailures, 3));
        assert_eq!(r.outcome, "completed-with-failures");
        assert_eq!(r.exit, Some(3));
        assert_eq!(r.recovery.measured_ms, Some(5000), "from the run's start");
        assert_eq!(r.recovery.met, Some(true));
        assert!(
            r.left_for_human
                .iter()
                .any(|l| l.contains("step `fence` failed on h1")),
            "{:?}",
            r.left_for_human
        );
        assert_eq!(r.phases.len(), 1);
        assert_eq!(r.phases[0].name, "failover");
        assert_eq!(r.phases[0].duration_ms, 3000);
        assert_eq!(r.failures.len(), 1);
        assert_eq!(r.steps[0].hosts[0].ok, Some(false));
    }

    #[test]
    fn a_run_that_did_not_recover_never_meets_its_objective() {
        let r = RunReport::build(Some(RB), &journal(Outcome::Aborted, 3));
        assert_eq!(r.recovery.measured_ms, Some(5000));
        assert_eq!(r.recovery.met, Some(false), "fast, but not recovered");
        assert!(crate::formats::recovery_line(&r).contains("NOT MET"));
    }
}
