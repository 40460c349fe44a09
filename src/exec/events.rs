//! What the engine says while it runs. One reporter consumes the events: progress bars,
//! plain timestamped lines, or nothing.

use std::time::Duration;

use crate::state::journal::Phase;

/// A host's result for one step.
#[derive(Debug, Clone)]
pub struct HostReport {
    pub step: String,
    pub host: String,
    pub phase: Phase,
    pub ok: bool,
    pub skipped: bool,
    pub exit: Option<i32>,
    pub attempts: u32,
    pub duration: Duration,
    pub error: Option<String>,
    /// Masked.
    pub stdout: String,
    /// Masked.
    pub stderr: String,
}

#[derive(Debug, Clone)]
pub enum Event {
    RunStarted {
        run_id: String,
        name: String,
        kind: String,
        mode: String,
        steps: usize,
        resumed: bool,
    },
    StepStarted {
        id: String,
        title: String,
        phase: Option<String>,
        hosts: Vec<String>,
        run_phase: Phase,
    },
    HostDone(HostReport),
    StepFinished {
        id: String,
        ok: bool,
        failed: Vec<String>,
        duration: Duration,
        run_phase: Phase,
    },
    StepSkipped {
        id: String,
        reason: String,
    },
    Gate {
        id: String,
        message: String,
        approved_by: Option<String>,
    },
    RollbackStarted {
        reason: String,
    },
    Message {
        text: String,
    },
    RunFinished {
        outcome: String,
        exit: i32,
        duration: Duration,
        message: String,
    },
}

/// Receives events. Implementations must be cheap: they run on the engine's tasks.
pub trait Reporter: Send + Sync {
    fn event(&self, e: &Event);
    /// Called before the engine prompts on the terminal, so bars can step aside.
    fn suspend(&self, f: &mut dyn FnMut()) {
        f()
    }
}

/// Ignores everything (tests, `-q`).
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _: &Event) {}
}
