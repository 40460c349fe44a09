//! The run loop: forward steps in order, approval gates, failure policy, newest-first
//! rollback, drills, resume from a checkpoint, Ctrl-C.

mod builder;
mod fanout;
mod forward;
mod gates;
mod lanes;
mod preflight;
mod record;
mod rollback;
mod verdict;
mod wait;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use drctl_core::checkpoint::Checkpoint;
use drctl_core::events::{Event, EventSink};
use drctl_core::record::Record;
use drctl_core::store::{AuditLog, RunLog};
use drctl_core::time::t;
use drctl_core::{Outcome, RunMode};
use drctl_model::plan::Plan;
use drctl_model::template::Engine;

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
