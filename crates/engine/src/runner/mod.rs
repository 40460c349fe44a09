//! The run loop: forward steps in order, approval gates, failure policy, newest-first
//! rollback, drills, resume from a checkpoint, Ctrl-C.

mod fanout;
mod gates;
mod rollback;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use drctl_core::Phase;
use drctl_core::checkpoint::{Checkpoint, HostState};
use drctl_core::events::{Event, EventSink, Silent};
use drctl_core::record::Record;
use drctl_core::store::{AuditEntry as Entry, AuditLog, RunLog, StateError};
use drctl_core::time::t;
use drctl_core::{Outcome, RunMode};
use drctl_model::plan::Plan;
use drctl_model::runbook::duration::format_duration;
use drctl_model::runbook::inventory::{Host, TransportKind};
use drctl_model::runbook::model::{Action, DrillMode, OnFailure};
use drctl_model::template::Engine;
use drctl_transport::{Connector, TransportError};

use crate::approval::{Approver, NoApprover};
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
    started: Instant,
    /// The first journal append that failed: once set, nothing more is started.
    journal_error: Mutex<Option<String>>,
}

/// Builds a [`Runner`]: the plan, the connector and the journal are required; the rest
/// has quiet defaults (no sinks, no audit, nobody to approve, an empty checkpoint).
pub struct RunnerBuilder {
    plan: Arc<Plan>,
    connector: Arc<dyn Connector>,
    journal: Arc<dyn RunLog>,
    checkpoint: Checkpoint,
    opts: ExecOptions,
    sinks: Arc<dyn EventSink>,
    approver: Arc<dyn Approver>,
    audit: Option<Arc<dyn AuditLog>>,
    operator: Operator,
}

impl RunnerBuilder {
    pub fn checkpoint(mut self, cp: Checkpoint) -> Self {
        self.checkpoint = cp;
        self
    }

    pub fn options(mut self, opts: ExecOptions) -> Self {
        self.opts = opts;
        self
    }

    pub fn sinks(mut self, sinks: Arc<dyn EventSink>) -> Self {
        self.sinks = sinks;
        self
    }

    pub fn approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = approver;
        self
    }

    pub fn audit(mut self, audit: Arc<dyn AuditLog>) -> Self {
        self.audit = Some(audit);
        self
    }

    pub fn operator(mut self, operator: Operator) -> Self {
        self.operator = operator;
        self
    }

    pub fn build(self) -> Arc<Runner> {
        Arc::new(Runner {
            plan: self.plan,
            pool: Arc::new(Pool::new(self.connector)),
            engine: Arc::new(Engine::default()),
            opts: self.opts,
            sinks: self.sinks,
            approver: self.approver,
            operator: self.operator,
            journal: self.journal,
            checkpoint: Mutex::new(self.checkpoint),
            audit: self.audit,
            started: Instant::now(),
            journal_error: Mutex::new(None),
        })
    }
}

/// How long the first step waits for the preflight's connects (see `preconnect`).
const PREFLIGHT_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

impl Runner {
    pub fn builder(
        plan: Arc<Plan>,
        connector: Arc<dyn Connector>,
        journal: Arc<dyn RunLog>,
    ) -> RunnerBuilder {
        RunnerBuilder {
            plan,
            connector,
            journal,
            checkpoint: Checkpoint::default(),
            opts: ExecOptions::default(),
            sinks: Arc::new(Silent),
            approver: Arc::new(NoApprover),
            audit: None,
            operator: Operator {
                user: "unknown".into(),
                controller: "unknown".into(),
            },
        }
    }

    /// Write a record to the journal (durably: the one sink that must succeed), apply it
    /// to the live checkpoint, and audit what it says.
    pub fn record(&self, r: Record) -> Result<(), StateError> {
        if let Err(e) = self.journal.append(&r) {
            let mut first = self.journal_error.lock().expect("journal error");
            if first.is_none() {
                *first = Some(e.to_string());
            }
            return Err(e);
        }
        self.checkpoint.lock().expect("checkpoint").apply(&r);
        self.audit_record(&r);
        Ok(())
    }

    fn cp(&self) -> Checkpoint {
        self.checkpoint.lock().expect("checkpoint").clone()
    }

    /// Captured values visible on `host`: its own, plus any captured on exactly one host.
    pub fn captures_for(&self, host: &str) -> BTreeMap<String, String> {
        let cp = self.checkpoint.lock().expect("checkpoint");
        let mut seen: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
        for vals in cp.captures.values() {
            for (k, v) in vals {
                seen.entry(k).or_default().push(v);
            }
        }
        let mut out: BTreeMap<String, String> = seen
            .into_iter()
            .filter(|(_, v)| v.len() == 1)
            .map(|(k, v)| (k.to_string(), v[0].clone()))
            .collect();
        if let Some(own) = cp.captures.get(host) {
            out.extend(own.clone());
        }
        // The journal holds secrets sealed; commands get the run's values back.
        for v in out.values_mut() {
            *v = self.plan.masker.unseal(v);
        }
        out
    }

    pub fn audit(
        &self,
        action: &str,
        step: Option<&str>,
        host: Option<&str>,
        command: Option<String>,
        exit: Option<i32>,
        digest: Option<String>,
    ) {
        if let Some(a) = &self.audit {
            let e = Entry {
                who: self.operator.user.clone(),
                controller: self.operator.controller.clone(),
                run_id: self.plan.run_id.clone(),
                runbook: self.plan.runbook.name.clone(),
                action: action.into(),
                step: step.map(str::to_string),
                host: host.map(str::to_string),
                command: command.map(|c| self.plan.masker.mask(&c)),
                exit,
                digest,
                ..Default::default()
            };
            if let Err(e) = a.append(e) {
                self.sinks.event(&Event::Message {
                    text: format!("warning: audit journal: {e}"),
                });
            }
        }
    }

    /// The audit chain's view of a journal record: commands, approvals and the run's end
    /// are audited exactly as they were journaled.
    fn audit_record(&self, r: &Record) {
        match r {
            Record::Finished {
                step,
                host,
                phase,
                exit,
                digest,
                command,
                ..
            } => {
                let action = match phase {
                    Phase::Forward => "command",
                    Phase::Rollback => "rollback-command",
                };
                let digest = Some(digest.clone());
                self.audit(
                    action,
                    Some(step),
                    Some(host),
                    command.clone(),
                    *exit,
                    digest,
                );
            }
            Record::Gate { step, message, .. } => {
                self.audit("approve", Some(step), None, message.clone(), None, None)
            }
            Record::RunEnd {
                outcome,
                exit,
                message,
                ..
            } => self.audit(
                "run-end",
                None,
                None,
                Some(format!("{outcome}: {message}")),
                Some(*exit),
                None,
            ),
            _ => {}
        }
    }

    fn finish(&self, o: RunOutcome) -> RunOutcome {
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
    /// delays no one. Its connect goes on in the background holding the host's slot, so its
    /// first step waits for it and is judged as strictly (a bad key then refuses the run at
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
        for (_, h) in hosts {
            let pool = self.pool.clone();
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(pool.connect(&h));
            });
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

    /// The measured recovery time against `objectives.rto`: `Err` says by how much it missed.
    fn rto_verdict(&self) -> Result<(), String> {
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

    /// Forward steps. `Err` carries a finished outcome (already journaled), except in
    /// drill mode where a failure is handed back for the drill to clean up.
    async fn forward(self: &Arc<Self>) -> Result<(), RunOutcome> {
        for idx in 0..self.plan.steps.len() {
            if self.opts.cancel.load(Ordering::SeqCst) {
                return Err(self.interrupted());
            }
            let ps = &self.plan.steps[idx];
            let id = ps.step.id.value.clone();
            let cp = self.cp();
            if cp.step_end.contains_key(&id) || cp.skipped.contains(&id) || cp.gates.contains(&id) {
                continue;
            }
            if ps.skipped_by_mode {
                self.skip(&id, "drill: skip")?;
                continue;
            }
            if let Action::Approve(msg) = &ps.step.action {
                self.gate(idx, msg).await?;
                continue;
            }
            if ps.hosts.is_empty() {
                self.skip(&id, "no hosts (after --limit)")?;
                continue;
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
                continue;
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
                let why = format!("step `{id}` failed on {}", failed.join(", "));
                self.on_failure(ps.on_failure, why).await?;
            }
            if self.opts.cancel.load(Ordering::SeqCst) {
                return Err(self.interrupted());
            }
        }
        Ok(())
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

    /// How a run whose forward steps all ended ends: succeeded, or — never silently —
    /// with failures it went on past, or with nothing run at all.
    fn completion(&self) -> RunOutcome {
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
    fn drill_leftovers(&self) -> Option<String> {
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
        self.finish(RunOutcome::new(
            Outcome::JournalFailed,
            format!("cannot write the journal, stopping: {e}"),
        ))
    }
}
