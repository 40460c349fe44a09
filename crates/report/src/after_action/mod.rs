//! The after-action report of one run, built from its journal and the copy of the runbook
//! it ran: who, when, from where; every step and host with timings; time per phase; the
//! recovery time against the objective; failures; rollbacks; what is left for a human.
//! One model, rendered as Markdown, JSON, JUnit and Prometheus text by `report::formats`.

mod build;
mod left_for_human;
mod runs;
#[cfg(test)]
mod tests;

pub use build::saved_runbook;

use serde::Serialize;

use drctl_core::Phase;

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
    /// Controllers that held the run: the first and every takeover (etcd state only).
    pub controllers: Vec<crate::controllers::Controller>,
    /// Plain sentences: what a human must still check or do.
    pub left_for_human: Vec<String>,
}
