//! The engine: runs a resolved plan step by step, each step fanned out over its hosts,
//! journaling every command before and after, rolling back newest-first on failure.
//! It knows nothing of clap; it takes [`ExecOptions`] and reports through [`events`].

pub mod engine;
pub mod events;
pub mod fanout;
pub mod host;
pub mod pool;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::error::Exit;

/// How the operator wants the run driven.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// At most this many hosts at once in a step.
    pub forks: usize,
    /// `--yes`: pass every approval gate.
    pub yes: bool,
    /// `--approve STEP`: pass these gates.
    pub approve: BTreeSet<String>,
    /// A person can answer prompts (stdin and stderr are terminals).
    pub interactive: bool,
    /// Resume: re-run these in-flight steps (`STEP`, or `STEP@HOST` for one host).
    pub rerun: BTreeSet<String>,
    /// Resume: treat these in-flight steps as done (`STEP` or `STEP@HOST`).
    pub skip: BTreeSet<String>,
    /// Set by the first Ctrl-C: start nothing new.
    pub cancel: Arc<AtomicBool>,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            forks: 32,
            yes: false,
            approve: BTreeSet::new(),
            interactive: false,
            rerun: BTreeSet::new(),
            skip: BTreeSet::new(),
            cancel: Arc::default(),
        }
    }
}

/// What the operator said about a step left in flight on a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFlightDecision {
    Rerun,
    Skip,
}

impl ExecOptions {
    /// `--skip`/`--rerun` for this step on this host: `STEP@HOST` first, then `STEP`.
    pub fn in_flight_decision(&self, step: &str, host: &str) -> Option<InFlightDecision> {
        let one = format!("{step}@{host}");
        for key in [one.as_str(), step] {
            if self.skip.contains(key) {
                return Some(InFlightDecision::Skip);
            }
            if self.rerun.contains(key) {
                return Some(InFlightDecision::Rerun);
            }
        }
        None
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// `succeeded`, `rolled-back`, `rollback-failed`, `aborted`, `refused`, `in-flight`,
    /// `waiting-approval`, `interrupted`.
    pub outcome: String,
    pub exit: Exit,
    pub message: String,
}

impl RunOutcome {
    pub fn new(outcome: &str, exit: Exit, message: impl Into<String>) -> Self {
        Self {
            outcome: outcome.into(),
            exit,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests;
