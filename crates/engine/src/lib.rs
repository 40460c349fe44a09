//! The engine: a [`session::Session`] owns a run's lifecycle (run id, header, lock, journal,
//! runtime, resume checks); its [`runner::Runner`] runs a resolved plan step by step, each
//! step fanned out over its hosts, journaling every command before and after, rolling back
//! newest-first on failure. It knows nothing of clap or the terminal: state goes through a
//! `RunStore`, hosts through a `Connector`, questions through an [`approval::Approver`],
//! and everything it says through `EventSink`s.

// Transport errors carry the partial output; returned once per command, never in a hot loop.
#![allow(clippy::result_large_err)]

pub mod approval;
pub mod host;
pub mod pool;
pub mod reach;
pub mod runner;
pub mod session;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use drctl_core::{Decision, Exit, Outcome};

/// How the operator wants the run driven.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// At most this many hosts at once in a step.
    pub forks: usize,
    /// Resume: re-run these in-flight steps (`STEP`, or `STEP@HOST` for one host).
    pub rerun: BTreeSet<String>,
    /// Resume: treat these in-flight steps as done (`STEP` or `STEP@HOST`).
    pub skip: BTreeSet<String>,
    /// Set by the first Ctrl-C: start nothing new.
    pub cancel: Arc<AtomicBool>,
    /// Whether a rollback may undo a point of no return and the steps before it.
    pub no_return: NoReturn,
    /// The fencing epoch of the run's lock (set by the session): every command gets it as
    /// `DRCTL_EPOCH`.
    pub epoch: u64,
    /// `--gate-wait`: how long a gate nobody can answer at a terminal waits for answers
    /// from other terminals (`drctl approve`) before the run stops (none: stop at once).
    pub gate_wait: Option<std::time::Duration>,
}

/// What a rollback does at a step marked `point_of_no_return` that succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoReturn {
    /// Stop there: undo only the steps after it (the default).
    #[default]
    Stop,
    /// The operator said to cross it (`drctl rollback --cross-point-of-no-return`).
    Cross,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            forks: 32,
            rerun: BTreeSet::new(),
            skip: BTreeSet::new(),
            cancel: Arc::default(),
            no_return: NoReturn::Stop,
            epoch: 0,
            gate_wait: None,
        }
    }
}

impl ExecOptions {
    /// `--skip`/`--rerun` for this step on this host: `STEP@HOST` first, then `STEP`.
    pub fn in_flight_decision(&self, step: &str, host: &str) -> Option<Decision> {
        let one = format!("{step}@{host}");
        for key in [one.as_str(), step] {
            if self.skip.contains(key) {
                return Some(Decision::Skip);
            }
            if self.rerun.contains(key) {
                return Some(Decision::Rerun);
            }
        }
        None
    }
}

/// Who runs drctl, and from where: recorded in headers, audit entries and approvals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub user: String,
    pub controller: String,
    /// The person behind sudo (`SUDO_USER`) when it differs from `user`.
    pub sudo_user: Option<String>,
    /// `drctl --version` of the binary running (`0.1.0 (commit abc123)`).
    pub drctl_version: Option<String>,
}

impl Operator {
    /// `root (sudo from alice)`, or the user alone.
    pub fn who(&self) -> String {
        drctl_core::record::who(&self.user, self.sudo_user.as_deref())
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    pub outcome: Outcome,
    pub message: String,
}

impl RunOutcome {
    pub fn new(outcome: Outcome, message: impl Into<String>) -> Self {
        Self {
            outcome,
            message: message.into(),
        }
    }

    /// The exit code this outcome gives.
    pub fn exit(&self) -> Exit {
        self.outcome.exit()
    }
}

#[cfg(test)]
mod tests;
