//! Where a run stands, derived from its journal: per step and host, done, failed or in
//! flight (started with no finish: its outcome is unknown), plus captured values.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::record::{Loaded, Record};
use crate::{Decision, Outcome, Phase};

/// The outcome of one step on one host, as far as the journal knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostState {
    InFlight,
    Ok,
    Failed,
}

/// A run's checkpoint.
#[derive(Debug, Clone, Default)]
pub struct Checkpoint {
    pub forward: HashMap<(String, String), HostState>,
    pub rollback: HashMap<(String, String), HostState>,
    /// host → captured name → value.
    pub captures: BTreeMap<String, BTreeMap<String, String>>,
    pub gates: BTreeSet<String>,
    pub skipped: BTreeSet<String>,
    /// Forward steps that ended, with whether they succeeded.
    pub step_end: HashMap<String, bool>,
    /// Forward steps that ended failed, with the hosts they failed on (a run that went on
    /// past them, `on_failure: continue`, must say so).
    pub step_failed: BTreeMap<String, Vec<String>>,
    /// Forward steps in the order they ended (steps run at once end in any order):
    /// rollback undoes them in reverse.
    pub completed: Vec<String>,
    pub rollback_begun: Option<String>,
    /// The rollback was asked for by the operator (`drctl rollback`), not caused by a failure.
    pub rollback_requested: bool,
    pub ended: Option<(Outcome, i32)>,
    /// Steps in the order they first started (forward), for rollback ordering.
    pub order: Vec<String>,
    /// When the run started (its header): recovery time counts from here, so drctl's own
    /// waiting on hosts (and a crash before a resume) is part of it.
    pub run_started: Option<String>,
    /// When the first forward command started and the last one finished (RFC 3339).
    pub forward_first: Option<String>,
    pub forward_last: Option<String>,
    /// Per forward step: when its first command started and its last one finished (ms).
    pub step_span: BTreeMap<String, (i64, i64)>,
}

impl Checkpoint {
    pub fn from_journal(j: &Loaded) -> Self {
        let mut c = Checkpoint::default();
        for r in &j.records {
            c.apply(r);
        }
        c
    }

    /// Update with one more record (the engine applies each record as it writes it).
    pub fn apply(&mut self, r: &Record) {
        let c = self;
        {
            match r {
                Record::Started {
                    t,
                    step,
                    host,
                    phase,
                } => {
                    let key = (step.clone(), host.clone());
                    match phase {
                        Phase::Forward => {
                            if c.forward_first.is_none() {
                                c.forward_first = Some(t.clone());
                            }
                            if let Some(ms) = crate::time::ts_ms(t) {
                                let span = c.step_span.entry(step.clone()).or_insert((ms, ms));
                                span.0 = span.0.min(ms);
                            }
                            if !c.order.contains(step) {
                                c.order.push(step.clone());
                            }
                            c.forward.insert(key, HostState::InFlight);
                        }
                        Phase::Rollback => {
                            c.rollback.insert(key, HostState::InFlight);
                        }
                    }
                    c.ended = None;
                }
                Record::Header(h) => c.run_started = Some(h.started_at.clone()),
                Record::Finished {
                    t,
                    step,
                    host,
                    phase,
                    ok,
                    captured,
                    in_doubt,
                    ..
                } => {
                    if *phase == Phase::Forward {
                        c.forward_last = Some(t.clone());
                        if let Some(ms) = crate::time::ts_ms(t) {
                            let span = c.step_span.entry(step.clone()).or_insert((ms, ms));
                            span.1 = span.1.max(ms);
                        }
                    }
                    let st = if *in_doubt {
                        HostState::InFlight
                    } else if *ok {
                        HostState::Ok
                    } else {
                        HostState::Failed
                    };
                    let key = (step.clone(), host.clone());
                    match phase {
                        Phase::Forward => {
                            c.forward.insert(key, st);
                            if let Some((k, v)) = captured {
                                c.captures
                                    .entry(host.clone())
                                    .or_default()
                                    .insert(k.clone(), v.clone());
                            }
                        }
                        Phase::Rollback => {
                            c.rollback.insert(key, st);
                        }
                    }
                }
                Record::Decision {
                    step,
                    host,
                    decision,
                    phase,
                    ..
                } => {
                    let key = (step.clone(), host.clone());
                    let map = match phase {
                        Phase::Forward => &mut c.forward,
                        Phase::Rollback => &mut c.rollback,
                    };
                    match decision {
                        Decision::Skip => {
                            map.insert(key, HostState::Ok);
                        }
                        Decision::Rerun => {
                            map.remove(&key);
                        }
                    }
                }
                Record::Gate { step, .. } => {
                    c.gates.insert(step.clone());
                }
                Record::Skipped { step, .. } => {
                    c.skipped.insert(step.clone());
                }
                Record::StepEnd {
                    step,
                    phase: Phase::Forward,
                    ok,
                    failed_hosts,
                    ..
                } => {
                    c.step_end.insert(step.clone(), *ok);
                    if !c.completed.contains(step) {
                        c.completed.push(step.clone());
                    }
                    if *ok {
                        c.step_failed.remove(step);
                    } else {
                        c.step_failed.insert(step.clone(), failed_hosts.clone());
                    }
                }
                Record::RollbackBegin {
                    reason, requested, ..
                } => {
                    c.rollback_begun = Some(reason.clone());
                    c.rollback_requested = *requested;
                }
                Record::RunEnd { outcome, exit, .. } => c.ended = Some((*outcome, *exit)),
                _ => {}
            }
        }
    }

    /// How the run ended (outcome and exit code), or where it stands if it did not.
    pub fn outcome(&self) -> (String, Option<i32>) {
        match &self.ended {
            Some((o, e)) => (o.to_string(), Some(*e)),
            None if !self.in_flight().is_empty() => ("stopped (in flight)".into(), None),
            None => ("running or crashed".into(), None),
        }
    }

    /// Recovery time so far: from the run's start (its first forward command in a journal
    /// without a header) to the last forward finish, in ms.
    pub fn recovery_ms(&self) -> Option<u64> {
        let ms = |t: &Option<String>| crate::time::ts_ms(t.as_deref()?);
        let start = ms(&self.run_started).or_else(|| ms(&self.forward_first))?;
        Some((ms(&self.forward_last)? - start).max(0) as u64)
    }

    /// Wall time of a set of forward steps: the first one's start to the last one's end.
    pub fn span_ms<'a>(&self, steps: impl IntoIterator<Item = &'a str>) -> Option<u64> {
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        for s in steps {
            if let Some((a, b)) = self.step_span.get(s) {
                first = first.min(*a);
                last = last.max(*b);
            }
        }
        (first <= last).then(|| (last - first) as u64)
    }

    pub fn forward_state(&self, step: &str, host: &str) -> Option<HostState> {
        self.forward
            .get(&(step.to_string(), host.to_string()))
            .copied()
    }

    pub fn rollback_state(&self, step: &str, host: &str) -> Option<HostState> {
        self.rollback
            .get(&(step.to_string(), host.to_string()))
            .copied()
    }

    /// (step, host) pairs left in flight by a crash, forward and rollback.
    pub fn in_flight(&self) -> Vec<(String, String, Phase)> {
        let mut v: Vec<_> = self
            .forward
            .iter()
            .filter(|(_, s)| **s == HostState::InFlight)
            .map(|((s, h), _)| (s.clone(), h.clone(), Phase::Forward))
            .chain(
                self.rollback
                    .iter()
                    .filter(|(_, s)| **s == HostState::InFlight)
                    .map(|((s, h), _)| (s.clone(), h.clone(), Phase::Rollback)),
            )
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(step: &str, host: &str, phase: Phase, t: &str) -> Record {
        Record::Started {
            t: t.into(),
            step: step.into(),
            host: host.into(),
            phase,
        }
    }

    fn finished(step: &str, host: &str, phase: Phase, ok: bool, t: &str) -> Record {
        Record::Finished {
            t: t.into(),
            step: step.into(),
            host: host.into(),
            phase,
            ok,
            exit: Some(if ok { 0 } else { 1 }),
            attempts: 1,
            duration_ms: 5,
            digest: String::new(),
            error: None,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            captured: ok.then(|| ("lsn".to_string(), format!("{step}@{host}"))),
            command: Some(format!("do {step}")),
            in_doubt: false,
        }
    }

    fn replay(records: &[Record]) -> Checkpoint {
        let mut c = Checkpoint::default();
        for r in records {
            c.apply(r);
        }
        c
    }

    #[test]
    fn a_start_without_a_finish_is_in_flight_and_its_outcome_unknown() {
        let c = replay(&[
            started("s1", "a", Phase::Forward, "2026-01-01T00:00:00Z"),
            finished("s1", "a", Phase::Forward, true, "2026-01-01T00:00:01Z"),
            started("s2", "a", Phase::Forward, "2026-01-01T00:00:02Z"),
        ]);
        assert_eq!(c.forward_state("s1", "a"), Some(HostState::Ok));
        assert_eq!(c.forward_state("s2", "a"), Some(HostState::InFlight));
        assert_eq!(
            c.in_flight(),
            vec![("s2".to_string(), "a".to_string(), Phase::Forward)]
        );
        assert_eq!(c.outcome().0, "stopped (in flight)");
        assert_eq!(c.order, ["s1", "s2"]);
        assert_eq!(c.captures["a"]["lsn"], "s1@a");
    }

    #[test]
    fn decisions_settle_in_flight_commands_per_phase() {
        let mut c = replay(&[
            started("s1", "a", Phase::Forward, "2026-01-01T00:00:00Z"),
            started("s1", "b", Phase::Forward, "2026-01-01T00:00:00Z"),
        ]);
        for (host, decision) in [("a", Decision::Skip), ("b", Decision::Rerun)] {
            c.apply(&Record::Decision {
                t: "2026-01-01T00:01:00Z".into(),
                step: "s1".into(),
                host: host.into(),
                decision,
                phase: Phase::Forward,
                by: None,
            });
        }
        assert_eq!(c.forward_state("s1", "a"), Some(HostState::Ok));
        assert_eq!(c.forward_state("s1", "b"), None, "re-run: not started yet");
        assert!(c.in_flight().is_empty());
        c.apply(&started("s1", "a", Phase::Rollback, "2026-01-01T00:02:00Z"));
        assert_eq!(c.rollback_state("s1", "a"), Some(HostState::InFlight));
        assert_eq!(c.forward_state("s1", "a"), Some(HostState::Ok));
    }

    #[test]
    fn recovery_time_spans_the_forward_commands_and_a_run_end_is_final() {
        let mut c = replay(&[
            started("s1", "a", Phase::Forward, "2026-01-01T00:00:00Z"),
            finished("s1", "a", Phase::Forward, true, "2026-01-01T00:00:01.500Z"),
            started("s1", "a", Phase::Rollback, "2026-01-01T00:00:09Z"),
            finished("s1", "a", Phase::Rollback, true, "2026-01-01T00:00:10Z"),
        ]);
        assert_eq!(c.recovery_ms(), Some(1500), "rollback is not recovery");
        c.apply(&Record::RunEnd {
            t: "2026-01-01T00:00:10Z".into(),
            outcome: Outcome::RolledBack,
            exit: 1,
            message: String::new(),
        });
        assert_eq!(c.ended, Some((Outcome::RolledBack, 1)));
        assert_eq!(c.outcome(), ("rolled-back".to_string(), Some(1)));
        // A journal that goes on after an end (resume, rollback on demand) is live again.
        c.apply(&started("s2", "a", Phase::Forward, "2026-01-01T00:01:00Z"));
        assert_eq!(c.ended, None);
    }

    #[test]
    fn recovery_time_counts_from_the_run_start_not_the_first_command() {
        let header = crate::record::Header {
            version: crate::record::JOURNAL_VERSION,
            run_id: "r".into(),
            runbook: "rb.yaml".into(),
            runbook_sha256: String::new(),
            name: "r".into(),
            kind: "failover".into(),
            mode: crate::RunMode::Run,
            severity: None,
            started_at: "2026-01-01T00:00:00Z".into(),
            user: "u".into(),
            sudo_user: None,
            drctl_version: None,
            controller: "c".into(),
            pid: 1,
            inventory: None,
            vars: Default::default(),
            limit: None,
            rto_ms: Some(5_000),
        };
        // drctl waited 10 s on a hung host before the first command went out.
        let c = replay(&[
            Record::Header(header),
            started("s1", "a", Phase::Forward, "2026-01-01T00:00:10Z"),
            finished("s1", "a", Phase::Forward, true, "2026-01-01T00:00:10.300Z"),
        ]);
        assert_eq!(c.recovery_ms(), Some(10_300));
    }
}
