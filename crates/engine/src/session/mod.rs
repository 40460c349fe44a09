//! A run's lifecycle below any front-end: run ids, the journal header, the lock, the
//! journal, the runtime, resume validation and runbook-change detection. A front-end
//! builds a [`Session`] from a store, a connector, sinks, an approver and the operator's
//! identity, then calls [`Session::start`] or [`Session::prepare_resume`] and
//! [`Session::resume`]; it maps the [`Finished`] outcome (or the [`SessionError`]) to an
//! exit code.

mod diff;
mod error;
mod load;
mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use drctl_core::checkpoint::Checkpoint;
use drctl_core::events::{Event, EventSink, Silent};
use drctl_core::record::{Header, JOURNAL_VERSION, Loaded};
use drctl_core::store::RunStore;
use drctl_core::time::{now_rfc3339, sha256_hex};
use drctl_model::diagnostic::Diagnostic;
use drctl_model::plan::Plan;
use drctl_transport::Connector;

pub use error::SessionError;
pub use load::{LoadedPlan, Target, load_plan, parse_vars};
use support::{abs, check_decisions, fenced, missing_env, runtime};

use crate::approval::{Approver, NoApprover};
use crate::runner::{Runner, Start};
use crate::{ExecOptions, Operator, RunOutcome};

/// A run that ended (or stopped) under a session.
#[derive(Debug)]
pub struct Finished {
    pub run_id: String,
    pub mode: drctl_core::RunMode,
    pub outcome: RunOutcome,
}

/// What to do when the runbook's previous run is unresolved (in flight, stopped at a gate,
/// failed without rollback, crashed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unresolved {
    /// Refuse the new run, naming the old one and the choices.
    Refuse,
    /// The operator said to start anew anyway (`--force-new`).
    StartAnyway,
}

/// Resume forward, or undo what the run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeKind {
    Continue,
    Rollback,
}

/// What the operator asked for when resuming.
#[derive(Debug, Clone)]
pub struct ResumeRequest {
    pub run_id: String,
    pub kind: ResumeKind,
    /// Another inventory than the one the run started with.
    pub inventory: Option<PathBuf>,
    /// More `-e` values (secret ones are never stored and must be given again).
    pub vars: std::collections::BTreeMap<String, String>,
    /// `--allow-changed`: resume with a runbook that changed since the start.
    pub allow_changed: bool,
}

/// A resume that passed its checks: the plan, and what the operator should be told.
pub struct Resumption {
    pub plan: Plan,
    pub warnings: Vec<Diagnostic>,
    /// Notes for the operator (a changed runbook resumed anyway, a torn journal tail).
    pub notes: Vec<String>,
    loaded: Loaded,
    kind: ResumeKind,
}

/// A new run id: `NAME-YYYYMMDDTHHMMSSZ-XXXX`.
pub fn new_run_id(name: &str) -> String {
    let ts = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let mut b = [0u8; 2];
    let _ = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b));
    format!("{name}-{ts}-{:02x}{:02x}", b[0], b[1])
}

/// Runs plans against one store, through one connector, telling one set of sinks.
pub struct Session {
    store: Arc<dyn RunStore>,
    connector: Arc<dyn Connector>,
    sinks: Arc<dyn EventSink>,
    approver: Arc<dyn Approver>,
    operator: Operator,
    options: ExecOptions,
}

impl Session {
    pub fn new(
        store: Arc<dyn RunStore>,
        connector: Arc<dyn Connector>,
        operator: Operator,
    ) -> Self {
        Self {
            store,
            connector,
            sinks: Arc::new(Silent),
            approver: Arc::new(NoApprover),
            operator,
            options: ExecOptions::default(),
        }
    }

    pub fn sinks(mut self, sinks: Arc<dyn EventSink>) -> Self {
        self.sinks = sinks;
        self
    }

    pub fn approver(mut self, approver: Arc<dyn Approver>) -> Self {
        self.approver = approver;
        self
    }

    pub fn options(mut self, options: ExecOptions) -> Self {
        self.options = options;
        self
    }

    /// Start a new run of `plan` (loaded from `target`) under the runbook's lock.
    pub fn start(
        &self,
        plan: Plan,
        target: &Target,
        unresolved: Unresolved,
    ) -> Result<Finished, SessionError> {
        missing_env(&plan)?;
        let run_id = plan.run_id.clone();
        let lock = self
            .store
            .lock(&plan.runbook.name, &run_id)
            .map_err(SessionError::from_state)?;
        if unresolved == Unresolved::Refuse
            && let Some((previous, state)) = self.unresolved_run(&plan.runbook.name)
        {
            return Err(SessionError::Unresolved { previous, state });
        }
        if let Some(msg) = lock.took_over() {
            self.sinks.event(&Event::Message { text: msg.into() });
        }
        let text = &plan.runbook.file.text;
        let secret: BTreeSet<&str> = plan
            .runbook
            .vars
            .iter()
            .filter(|v| v.secret)
            .map(|v| v.name.value.as_str())
            .collect();
        let header = Header {
            version: JOURNAL_VERSION,
            run_id: run_id.clone(),
            runbook: abs(&target.runbook),
            runbook_sha256: sha256_hex(text.as_bytes()),
            name: plan.runbook.name.clone(),
            kind: plan.runbook.kind.clone(),
            mode: plan.mode,
            severity: plan.runbook.severity.clone(),
            started_at: now_rfc3339(),
            user: self.operator.user.clone(),
            sudo_user: self.operator.sudo_user.clone(),
            drctl_version: self.operator.drctl_version.clone(),
            controller: self.operator.controller.clone(),
            pid: std::process::id(),
            inventory: plan.inventory.file.as_ref().map(|f| abs(&f.path)),
            vars: target
                .vars
                .iter()
                .filter(|(k, _)| !secret.contains(k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            limit: target.limit.clone(),
            rto_ms: plan.runbook.objectives.rto.map(|d| d.as_millis() as u64),
        };
        let journal = self
            .store
            .create_run(header, text)
            .map_err(SessionError::from_state)?;
        let mode = plan.mode;
        let runner = self.runner(plan, journal, Checkpoint::default(), lock.epoch());
        let outcome = fenced(runtime()?.block_on(runner.run(Start::New)), &*lock, &run_id);
        drop(lock);
        Ok(Finished {
            run_id,
            mode,
            outcome,
        })
    }

    /// Check that run `req.run_id` can be resumed (or rolled back) and load its plan: the
    /// run has not ended, its runbook is unchanged (or `allow_changed`), the `--rerun` and
    /// `--skip` names exist, secret environment variables are set.
    /// Who holds runbook `name`'s lock now, if anyone.
    pub fn holder(&self, name: &str) -> Option<drctl_core::store::LockHolder> {
        self.store.holder(name)
    }

    pub fn prepare_resume(&self, req: &ResumeRequest) -> Result<Resumption, SessionError> {
        let loaded = self
            .store
            .load_run(&req.run_id)
            .map_err(SessionError::from_state)?;
        let h = loaded.header.clone();
        let cp = Checkpoint::from_journal(&loaded);
        if let Some((outcome, _)) = &cp.ended
            && outcome.is_final()
            && !(req.kind == ResumeKind::Rollback
                && matches!(
                    outcome,
                    drctl_core::Outcome::Succeeded | drctl_core::Outcome::CompletedWithFailures
                ))
        {
            return Err(SessionError::usage(format!(
                "run {} already ended ({outcome}); nothing to {}",
                req.run_id,
                match req.kind {
                    ResumeKind::Rollback => "roll back",
                    ResumeKind::Continue => "resume",
                }
            )));
        }
        let runbook = PathBuf::from(&h.runbook);
        let current = std::fs::read_to_string(&runbook)
            .map_err(|e| SessionError::usage(format!("{}: {e}", runbook.display())))?;
        let mut notes = Vec::new();
        if sha256_hex(current.as_bytes()) != h.runbook_sha256 {
            let old = self.store.saved_runbook(&req.run_id).unwrap_or_default();
            let changes = diff::describe(&old, &current);
            if !req.allow_changed {
                return Err(SessionError::Usage {
                    message: format!(
                        "{} changed since run {} started:\n{changes}",
                        runbook.display(),
                        req.run_id
                    ),
                    hint: Some(
                        "review the changes; `--allow-changed` resumes with the new runbook".into(),
                    ),
                });
            }
            notes.push(format!(
                "warning: the runbook changed since the run started (--allow-changed):\n{changes}"
            ));
        }
        let mut vars = h.vars.clone();
        vars.extend(req.vars.clone());
        let target = Target {
            runbook,
            inventory: req
                .inventory
                .clone()
                .or(h.inventory.as_ref().map(PathBuf::from)),
            vars,
            limit: h.limit.clone(),
        };
        let LoadedPlan { plan, warnings } = load_plan(&target, h.mode, |_| h.run_id.clone())?;
        missing_env(&plan)?;
        check_decisions(&plan, &self.options)?;
        if loaded.torn_tail {
            notes.push(
                "note: the journal's last record was cut short by a crash and was ignored".into(),
            );
        }
        Ok(Resumption {
            plan,
            warnings,
            notes,
            loaded,
            kind: req.kind,
        })
    }

    /// Continue (or roll back) a prepared run under its lock.
    pub fn resume(&self, r: Resumption) -> Result<Finished, SessionError> {
        let run_id = r.plan.run_id.clone();
        let lock = self
            .store
            .lock(&r.plan.runbook.name, &run_id)
            .map_err(SessionError::from_state)?;
        if let Some(msg) = lock.took_over() {
            self.sinks.event(&Event::Message {
                text: format!("note: {msg}"),
            });
        }
        let journal = self
            .store
            .reopen_run(&run_id)
            .map_err(SessionError::from_state)?;
        let mode = r.plan.mode;
        let cp = Checkpoint::from_journal(&r.loaded);
        let runner = self.runner(r.plan, journal, cp, lock.epoch());
        let rt = runtime()?;
        let outcome = match r.kind {
            ResumeKind::Continue => rt.block_on(runner.run(Start::Resumed)),
            ResumeKind::Rollback => {
                let reason = format!(
                    "rollback of run {run_id} requested by {}",
                    self.operator.user
                );
                rt.block_on(runner.rollback_requested(reason))
            }
        };
        let outcome = fenced(outcome, &*lock, &run_id);
        drop(lock);
        Ok(Finished {
            run_id,
            mode,
            outcome,
        })
    }
}

impl Session {
    /// A runner for `plan` with everything this session was given.
    fn runner(
        &self,
        plan: Plan,
        journal: Arc<dyn drctl_core::store::RunLog>,
        cp: Checkpoint,
        epoch: u64,
    ) -> Arc<Runner> {
        Runner::builder(Arc::new(plan), self.connector.clone(), journal)
            .checkpoint(cp)
            .options(ExecOptions {
                epoch,
                ..self.options.clone()
            })
            .sinks(self.sinks.clone())
            .approver(self.approver.clone())
            .audit(self.store.audit())
            .answers(self.store.clone())
            .operator(self.operator.clone())
            .build()
    }

    /// The runbook's latest run, if it is unresolved: its id and where it stands. (The
    /// caller holds the runbook's lock, so that run is not running.)
    fn unresolved_run(&self, name: &str) -> Option<(String, String)> {
        let prefix = format!("{name}-");
        let runs = self.store.list_runs().ok()?;
        let latest = runs
            .iter()
            .rev()
            .filter(|id| id.starts_with(&prefix))
            .find_map(|id| {
                let l = self.store.load_run(id).ok()?;
                (l.header.name == name).then_some((id.clone(), l))
            })?;
        let (id, loaded) = latest;
        let cp = Checkpoint::from_journal(&loaded);
        match cp.ended {
            Some((o, _)) if o.is_final() || o == drctl_core::Outcome::Refused => None,
            Some((o, _)) => Some((id, o.to_string())),
            None => Some((id, "crashed or killed (no end recorded)".into())),
        }
    }
}
