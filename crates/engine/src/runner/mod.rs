//! The run loop: forward steps in order, approval gates, failure policy, newest-first
//! rollback, drills, resume from a checkpoint, Ctrl-C.

mod builder;
mod fanout;
mod gates;
mod lanes;
mod record;
mod rollback;
mod verdict;
mod wait;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use drctl_core::Phase;
use drctl_core::checkpoint::{Checkpoint, HostState};
use drctl_core::events::{Event, EventSink};
use drctl_core::record::Record;
use drctl_core::store::{AuditLog, RunLog};
use drctl_core::time::t;
use drctl_core::{Outcome, RunMode};
use drctl_model::plan::Plan;
use drctl_model::runbook::inventory::{Host, TransportKind};
use drctl_model::runbook::model::{Action, OnFailure};
use drctl_model::template::Engine;
use drctl_transport::TransportError;

use crate::approval::Approver;
use crate::pool::Pool;
use crate::{ExecOptions, Operator, RunOutcome};

/// Whether the run starts fresh or continues from a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    New,
    Resumed,
}

/// Whether a clean rollback ends the run (journaled as its end) or hands back to a drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RollbackEnd {
    FinishRun,
    HandBack,
}

pub use builder::RunnerBuilder;

/// One run of a plan. Built by [`RunnerBuilder`].
pub struct Runner {
    pub(crate) plan: Arc<Plan>,
    pub(crate) pool: Arc<Pool>,
    pub(crate) engine: Arc<Engine>,
    pub(crate) opts: ExecOptions,
    pub(crate) sinks: Arc<dyn EventSink>,
    pub(crate) approver: Arc<dyn Approver>,
    pub(crate) operator: Operator,
    journal: Arc<dyn RunLog>,
    checkpoint: Mutex<Checkpoint>,
    audit: Option<Arc<dyn AuditLog>>,
    /// Where answers from other terminals are read (`drctl approve`, `drctl decline`).
    answers: Option<Arc<dyn drctl_core::store::RunStore>>,
    started: Instant,
    /// The first journal append that failed: once set, nothing more is started.
    journal_error: Mutex<Option<String>>,
    /// The store refused an append because another controller owns the run now.
    fenced: std::sync::atomic::AtomicBool,
    /// The run's end was journaled and announced.
    finished: std::sync::atomic::AtomicBool,
    /// One worker thread per SSH host: its preflight connect, then its step jobs.
    pub(crate) lanes: lanes::Lanes,
}

/// How long the first step waits for the preflight's connects (see `preconnect`).
const PREFLIGHT_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

impl Runner {
    fn cp(&self) -> Checkpoint {
        self.checkpoint.lock().expect("checkpoint").clone()
    }

    fn finish(&self, o: RunOutcome) -> RunOutcome {
        // Steps running at once may each end the run: the first end is the run's.
        if self.finished.swap(true, Ordering::SeqCst) {
            return o;
        }
        if let Err(e) = self.record(Record::RunEnd {
            t: t(),
            outcome: o.outcome,
            exit: o.exit().code(),
            message: o.message.clone(),
        }) {
            self.sinks.event(&Event::Message {
                text: format!("warning: journal: {e}"),
            });
        }
        self.sinks.event(&Event::RunFinished {
            outcome: o.outcome,
            exit: o.exit().code(),
            duration: self.started.elapsed(),
            message: o.message.clone(),
        });
        o
    }

    fn interrupted(&self) -> RunOutcome {
        self.finish(RunOutcome::new(
            Outcome::Interrupted,
            format!(
                "interrupted; state saved: `drctl resume {}` continues",
                self.plan.run_id
            ),
        ))
    }

    /// Connect to every SSH host of the plan in parallel, waiting at most [`PREFLIGHT_GRACE`]
    /// before the first step: an unknown or changed host key met by then refuses the run
    /// before anything is executed, and a host that does not answer (hung, black-holed)
    /// delays no one. Its connect goes on in the background on the host's lane (see `lanes`),
    /// holding the host's slot, so its first step queues behind it and is judged as strictly (a bad key then refuses the run at
    /// that step); a failure is kept for its later steps (see `pool`).
    async fn preconnect(self: &Arc<Self>) -> Result<(), RunOutcome> {
        let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
        for s in &self.plan.steps {
            for h in &s.hosts {
                if h.transport == TransportKind::Ssh {
                    hosts.insert(h.name.clone(), h.clone());
                }
            }
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let pending = hosts.len();
        for (name, h) in hosts {
            let pool = self.pool.clone();
            let tx = tx.clone();
            let job: lanes::Job = Box::new(move || {
                let _ = tx.send(pool.connect(&h));
            });
            if let Err(job) = self.lanes.start(&name, job) {
                tokio::task::spawn_blocking(job);
            }
        }
        drop(tx);
        let warn = |me: &Self, e: &TransportError| {
            me.sinks.event(&Event::Message {
                text: format!(
                    "warning: {e} (its steps fail with this error; a step's retries dial again)"
                ),
            });
        };
        let deadline = tokio::time::Instant::now() + PREFLIGHT_GRACE;
        let mut refused = Vec::new();
        let mut done = 0;
        while done < pending {
            let Ok(Some(res)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
                break;
            };
            done += 1;
            if let Err(e) = res {
                if e.is_host_key() {
                    let hint = e.hint().unwrap_or_default();
                    refused.push(format!("{e}\n  hint: {hint}"));
                } else {
                    warn(self, &e);
                }
            }
        }
        if done < pending {
            // The rest report when they end; a bad key among them refuses at its step.
            let me = self.clone();
            tokio::spawn(async move {
                while let Some(res) = rx.recv().await {
                    if let Err(e) = res
                        && !e.is_host_key()
                    {
                        warn(&me, &e);
                    }
                }
            });
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(self.finish(RunOutcome::new(Outcome::Refused, refused.join("\n"))))
        }
    }

    /// Run (or resume) the plan to its end.
    pub async fn run(self: Arc<Self>, start: Start) -> RunOutcome {
        let resumed = start == Start::Resumed;
        let rb = &self.plan.runbook;
        self.sinks.event(&Event::RunStarted {
            run_id: self.plan.run_id.clone(),
            name: rb.name.clone(),
            kind: rb.kind.clone(),
            mode: self.plan.mode,
            steps: self.plan.steps.len(),
            resumed,
        });
        self.audit(
            if resumed { "run-resume" } else { "run-start" },
            None,
            None,
            Some(format!("{} {}", self.plan.mode.as_str(), rb.file.display())),
            None,
            None,
        );
        if let Err(o) = self.preconnect().await {
            return o;
        }
        if let Some(reason) = self.cp().rollback_begun {
            return self.rollback_all(reason).await;
        }
        let forward = self.forward().await;
        match (self.plan.mode, forward) {
            (RunMode::Run, Ok(())) => self.finish(self.completion()),
            (RunMode::Run, Err(o)) => o,
            (RunMode::Drill, res) => {
                // A drill always cleans up what it did, unless it stopped for the operator.
                let stopped = matches!(&res, Err(o) if matches!(o.outcome, Outcome::InFlight | Outcome::WaitingApproval | Outcome::Interrupted | Outcome::Refused));
                if stopped {
                    return res.expect_err("error");
                }
                let failure = res.err().map(|o| o.message);
                let reason = failure
                    .clone()
                    .unwrap_or_else(|| "drill: restoring the environment".into());
                let rolled = self.rollback_steps(reason, RollbackEnd::HandBack).await;
                if rolled.outcome != Outcome::RolledBack {
                    return rolled;
                }
                let rto = self.rto_verdict();
                match (failure, rto) {
                    (Some(f), _) => self.finish(RunOutcome::new(
                        Outcome::DrillFailed,
                        format!("drill failed: {f}; environment restored"),
                    )),
                    (None, Err(missed)) => self.finish(RunOutcome::new(
                        Outcome::DrillMissedRto,
                        format!("every step passed but {missed}; environment restored"),
                    )),
                    (None, Ok(())) => match self.drill_leftovers() {
                        None => self.finish(RunOutcome::new(
                            Outcome::DrillPassed,
                            "drill passed; environment restored",
                        )),
                        Some(left) => self.finish(RunOutcome::new(
                            Outcome::DrillIncomplete,
                            format!(
                                "every step passed and the rollback ran, but {left}: the drill does not pass until a human restores it"
                            ),
                        )),
                    },
                }
            }
        }
    }

    /// Forward steps. `Err` carries a finished outcome (already journaled), except in
    /// drill mode where a failure is handed back for the drill to clean up.
    async fn forward(self: &Arc<Self>) -> Result<(), RunOutcome> {
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
    async fn forward_graph(self: &Arc<Self>) -> Result<(), RunOutcome> {
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
    async fn forward_step(self: &Arc<Self>, idx: usize) -> Result<Option<String>, RunOutcome> {
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
    async fn step_pass(
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

    async fn on_failure(
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

    fn skip(&self, id: &str, reason: &str) -> Result<(), RunOutcome> {
        self.record(Record::Skipped {
            t: t(),
            step: id.into(),
            reason: reason.into(),
        })
        .map_err(|e| self.journal_failed(e))?;
        self.sinks.event(&Event::StepSkipped {
            id: id.into(),
            reason: reason.into(),
        });
        Ok(())
    }

    /// The journal could not be written: stop, saying so everywhere that still listens.
    fn journal_failed(&self, e: impl std::fmt::Display) -> RunOutcome {
        // Fenced: another controller took the run over; this one sends nothing more.
        if self.fenced.load(Ordering::SeqCst) {
            return self.finish(RunOutcome::new(
                Outcome::Fenced,
                format!("{e}; this controller sends nothing more"),
            ));
        }
        self.finish(RunOutcome::new(
            Outcome::JournalFailed,
            format!("cannot write the journal, stopping: {e}"),
        ))
    }
}
