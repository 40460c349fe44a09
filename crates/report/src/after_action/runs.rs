//! The journal read as runs: per step, phase and host, its start and finish; the wall time
//! those runs cover, overall and per `phase:` label.

use std::collections::BTreeMap;

use drctl_core::Phase;
use drctl_core::record::{Loaded, Record};
use drctl_core::time::ts_ms;
use drctl_model::runbook::model::Runbook;

use super::{HostRun, PhaseTime, StepReport};

/// Per (step, host, phase): start time and the finish record, if any (latest wins).
pub(super) type Runs = BTreeMap<(String, Phase, String), (String, Option<Record>)>;

pub(super) fn collect_runs(l: &Loaded) -> (Runs, Vec<(String, String)>) {
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

pub(super) fn host_run(host: &str, start: &str, fin: Option<&Record>, t0: Option<i64>) -> HostRun {
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
/// Wall time covered by the runs matching `f`: first start to last finish.
pub(super) fn span_of(runs: &Runs, f: impl Fn(Phase, &str) -> bool) -> Option<u64> {
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

pub(super) fn phases(
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
