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
    pub rollback_begun: Option<String>,
    /// The rollback was asked for by the operator (`drctl rollback`), not caused by a failure.
    pub rollback_requested: bool,
    pub ended: Option<(Outcome, i32)>,
    /// Steps in the order they first started (forward), for rollback ordering.
    pub order: Vec<String>,
    /// When the first forward command started and the last one finished (RFC 3339): the
    /// span the recovery time objective is judged on.
    pub forward_first: Option<String>,
    pub forward_last: Option<String>,
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
                Record::Finished {
                    t,
                    step,
                    host,
                    phase,
                    ok,
                    captured,
                    ..
                } => {
                    if *phase == Phase::Forward {
                        c.forward_last = Some(t.clone());
                    }
                    let st = if *ok {
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
                    ..
                } => {
                    c.step_end.insert(step.clone(), *ok);
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

    /// Recovery time so far: first forward start to last forward finish, in ms.
    pub fn recovery_ms(&self) -> Option<u64> {
        let ms = |t: &Option<String>| crate::time::ts_ms(t.as_deref()?);
        Some((ms(&self.forward_last)? - ms(&self.forward_first)?).max(0) as u64)
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
