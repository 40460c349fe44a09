//! Building a [`Runner`]: the plan, the connector and the journal are required; the
//! rest has quiet defaults.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use drctl_core::checkpoint::Checkpoint;
use drctl_core::events::{EventSink, Silent};
use drctl_core::store::{AuditLog, RunLog, RunStore};
use drctl_model::plan::Plan;
use drctl_model::template::Engine;
use drctl_transport::Connector;

use super::Runner;
use crate::approval::{Approver, NoApprover};
use crate::pool::Pool;
use crate::{ExecOptions, Operator};

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
    answers: Option<Arc<dyn RunStore>>,
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

    /// Where answers to gates from other terminals are read (`drctl approve`).
    pub fn answers(mut self, store: Arc<dyn RunStore>) -> Self {
        self.answers = Some(store);
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
            answers: self.answers,
            started: Instant::now(),
            journal_error: Mutex::new(None),
            lanes: Default::default(),
            finished: Default::default(),
            fenced: Default::default(),
        })
    }
}

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
            answers: None,
            operator: Operator {
                user: "unknown".into(),
                controller: "unknown".into(),
                sudo_user: None,
                drctl_version: None,
            },
        }
    }
}
