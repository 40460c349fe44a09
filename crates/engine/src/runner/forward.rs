//! Forward steps: in order or by their `needs:` graph, one step over its hosts, and the
//! step's failure policy.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use drctl_core::Phase;
use drctl_core::checkpoint::HostState;
use drctl_core::events::Event;
use drctl_core::record::Record;
use drctl_core::time::t;
use drctl_core::{Outcome, RunMode};
use drctl_model::runbook::inventory::Host;
use drctl_model::runbook::model::{Action, OnFailure};

use crate::RunOutcome;

use super::{Runner, fanout};

impl Runner {
    /// Forward steps. `Err` carries a finished outcome (already journaled), except in
    /// drill mode where a failure is handed back for the drill to clean up.
    pub(super) async fn forward(self: &Arc<Self>) -> Result<(), RunOutcome> {
        if self.plan.steps.iter().any(|ps| !ps.step.needs.is_empty()) {
            return self.forward_graph().await;
        }
        for idx in 0..self.plan.steps.len() {
            if let Some(why) = self.forward_step(idx).await? {
                let policy = self.plan.steps[idx].on_failure;
                self.on_failure(policy, why).await?;
            }
            if self.opts.cancel.load(Ordering::SeqCst) {
                return Err(self.interrupted());
            }
        }
        Ok(())
    }

    /// Steps with `needs:`: each starts as soon as what it waits for ended, those ready run
    /// at once (each still fanned out, all bounded by `--forks` per step). A gate runs
    /// alone: nothing else starts while a human is asked. After a failure nothing new
    /// starts; the running steps end, then the failed step's `on_failure` decides.
    pub(super) async fn forward_graph(self: &Arc<Self>) -> Result<(), RunOutcome> {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            Waiting,
            Running,
            Ended,
        }
        let steps = &self.plan.steps;
        let mut state = vec![State::Waiting; steps.len()];
        let mut set = tokio::task::JoinSet::new();
        let mut failure: Option<(usize, String)> = None;
        let mut ended: Option<RunOutcome> = None;
        let is_gate = |i: usize| matches!(steps[i].step.action, Action::Approve(_));
        loop {
            let stopping =
                failure.is_some() || ended.is_some() || self.opts.cancel.load(Ordering::SeqCst);
            let gate_running = (0..steps.len()).any(|i| state[i] == State::Running && is_gate(i));
            if !stopping && !gate_running {
                for i in 0..steps.len() {
                    let ready = state[i] == State::Waiting
                        && steps[i].deps.iter().all(|&d| state[d] == State::Ended);
                    if !ready || (is_gate(i) && !set.is_empty()) {
                        continue;
                    }
                    state[i] = State::Running;
                    let me = self.clone();
                    set.spawn(async move { (i, me.forward_step(i).await) });
                    if is_gate(i) {
                        break;
                    }
                }
            }
            let Some(joined) = set.join_next().await else {
                break;
            };
            let (i, res) = match joined {
                Ok(r) => r,
                Err(e) => {
                    ended.get_or_insert_with(|| {
                        self.finish(RunOutcome::new(
                            Outcome::JournalFailed,
                            format!("internal error in a step task: {e}"),
                        ))
                    });
                    continue;
                }
            };
            state[i] = State::Ended;
            match res {
                Ok(None) => {}
                Ok(Some(why)) if steps[i].on_failure == OnFailure::Continue => {
                    self.on_failure(OnFailure::Continue, why).await?;
                }
                Ok(Some(why)) => {
                    failure.get_or_insert((i, why));
                }
                Err(o) => {
                    ended.get_or_insert(o);
                }
            }
        }
        if let Some(o) = ended {
            return Err(o);
        }
        if let Some((i, why)) = failure {
            self.on_failure(steps[i].on_failure, why).await?;
        }
        if self.opts.cancel.load(Ordering::SeqCst) {
            return Err(self.interrupted());
        }
        Ok(())
    }

    /// One forward step. `Ok(None)`: it ended well (or had nothing to do); `Ok(Some(why))`:
    /// it failed and its `on_failure` decides; `Err`: the run ended (already journaled).
    pub(super) async fn forward_step(
        self: &Arc<Self>,
        idx: usize,
    ) -> Result<Option<String>, RunOutcome> {
        {
            if self.opts.cancel.load(Ordering::SeqCst) {
                return Err(self.interrupted());
            }
            let ps = &self.plan.steps[idx];
            let id = ps.step.id.value.clone();
            let cp = self.cp();
            if cp.step_end.contains_key(&id) || cp.skipped.contains(&id) || cp.gates.contains(&id) {
                return Ok(None);
            }
            if ps.skipped_by_mode {
                self.skip(&id, "drill: skip")?;
                return Ok(None);
            }
            if let Action::Approve(msg) = &ps.step.action {
                self.gate(idx, msg).await?;
                return Ok(None);
            }
            if ps.hosts.is_empty() {
                self.skip(&id, "no hosts (after --limit)")?;
                return Ok(None);
            }
            let in_flight: Vec<&str> = ps
                .hosts
                .iter()
                .filter(|h| cp.forward_state(&id, &h.name) == Some(HostState::InFlight))
                .map(|h| h.name.as_str())
                .collect();
            let checked = self.probe_in_flight(idx, &in_flight, Phase::Forward).await;
            let rerun =
                self.settle_in_flight(&id, ps.idempotent, &in_flight, Phase::Forward, &checked)?;
            let todo: Vec<_> = ps
                .hosts
                .iter()
                .filter(|h| match cp.forward_state(&id, &h.name) {
                    Some(HostState::Ok) => false,
                    Some(HostState::InFlight) => rerun.contains(&h.name.as_str()),
                    _ => true,
                })
                .cloned()
                .collect();
            if todo.is_empty() {
                // Every host was done already or skipped by the operator's decision.
                self.record(Record::StepEnd {
                    t: t(),
                    step: id.clone(),
                    phase: Phase::Forward,
                    ok: true,
                    failed_hosts: Vec::new(),
                    duration_ms: 0,
                })
                .map_err(|e| self.journal_failed(e))?;
                return Ok(None);
            }
            let Some((results, failed)) = self.step_pass(idx, todo, Phase::Forward).await? else {
                return Err(self.interrupted());
            };
            let ok = failed.is_empty();
            if let Some(o) = self.in_doubt(&id, &results, Phase::Forward) {
                return Err(o);
            }
            if results.values().any(|o| o.host_key_refused) {
                let msg = results
                    .values()
                    .filter(|o| o.host_key_refused)
                    .filter_map(|o| o.error.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(self.finish(RunOutcome::new(Outcome::Refused, msg)));
            }
            if !ok {
                return Ok(Some(format!("step `{id}` failed on {}", failed.join(", "))));
            }
        }
        Ok(None)
    }

    /// Run one step (forward or rollback) on `todo`: announce it, fan out, journal its end.
    /// Returns the results and the hosts where it failed or could not start, or `None`
    /// when Ctrl-C stopped it before some hosts started and none failed (nothing is
    /// journaled as ended then, so resume picks the step up again).
    pub(super) async fn step_pass(
        self: &Arc<Self>,
        idx: usize,
        todo: Vec<Host>,
        phase: Phase,
    ) -> Result<Option<(fanout::StepResults, Vec<String>)>, RunOutcome> {
        let ps = &self.plan.steps[idx];
        let id = ps.step.id.value.clone();
        self.sinks.event(&Event::StepStarted {
            id: id.clone(),
            title: ps.step.title().to_string(),
            phase: ps.step.phase.clone(),
            hosts: todo.iter().map(|h| h.name.clone()).collect(),
            run_phase: phase,
        });
        let began = Instant::now();
        let results = self.fan_out(idx, todo.clone(), phase).await;
        // A host's start or finish that could not be journaled stops the run here: what
        // ran is no longer known durably.
        let broken = self.journal_error.lock().expect("journal error").clone();
        if let Some(e) = broken {
            return Err(self.journal_failed(e));
        }
        let mut failed: Vec<String> = results
            .iter()
            .filter(|(_, o)| !o.ok)
            .map(|(h, _)| h.clone())
            .collect();
        let not_started: Vec<String> = todo
            .iter()
            .filter(|h| !results.contains_key(&h.name))
            .map(|h| h.name.clone())
            .collect();
        if self.opts.cancel.load(Ordering::SeqCst) && failed.is_empty() && !not_started.is_empty() {
            return Ok(None);
        }
        failed.extend(not_started);
        let ok = failed.is_empty();
        let duration = began.elapsed();
        // A host whose connection dropped mid-command leaves the step in flight there, as
        // a crash would: it has not ended, so no end is journaled (the caller stops).
        if results.values().any(|o| o.in_doubt) {
            return Ok(Some((results, failed)));
        }
        // The journal is the one sink that must succeed: a step whose end is not durable
        // stops the run.
        self.record(Record::StepEnd {
            t: t(),
            step: id.clone(),
            phase,
            ok,
            failed_hosts: failed.clone(),
            duration_ms: duration.as_millis() as u64,
        })
        .map_err(|e| self.journal_failed(e))?;
        self.sinks.event(&Event::StepFinished {
            id,
            ok,
            failed: failed.clone(),
            duration,
            run_phase: phase,
        });
        Ok(Some((results, failed)))
    }

    pub(super) async fn on_failure(
        self: &Arc<Self>,
        policy: OnFailure,
        why: String,
    ) -> Result<(), RunOutcome> {
        match policy {
            OnFailure::Continue => {
                self.sinks.event(&Event::Message { text: format!("{why}; continuing (on_failure: continue)") });
                Ok(())
            }
            _ if self.plan.mode == RunMode::Drill => Err(RunOutcome::new(Outcome::Failed, why)),
            OnFailure::Abort => Err(self.finish(RunOutcome::new(Outcome::Aborted, format!(
                "{why}; stopped without rollback (on_failure: abort). `drctl resume {id}` retries, `drctl rollback {id}` undoes",
                id = self.plan.run_id
            )))),
            OnFailure::Rollback => Err(self.rollback_all(why).await),
        }
    }
}
