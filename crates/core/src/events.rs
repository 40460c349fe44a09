//! What the engine says while it runs. Sinks consume the events (progress bars, plain
//! timestamped lines, notifiers, or nothing), fanned out by [`Sinks`].

use std::time::Duration;

use std::sync::Arc;

use crate::{Outcome, Phase, RunMode};

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

/// Where an approval gate stands, as an [`Event::Gate`] tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateState {
    /// Waiting for answers from other terminals (`--gate-wait`).
    Waiting,
    Approved {
        by: String,
    },
    /// Declined, or the run stopped there without an approval.
    NotApproved,
}

#[derive(Debug, Clone)]
pub enum Event {
    RunStarted {
        run_id: String,
        name: String,
        kind: String,
        mode: RunMode,
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
        state: GateState,
    },
    RollbackStarted {
        reason: String,
    },
    Message {
        text: String,
    },
    RunFinished {
        outcome: Outcome,
        exit: i32,
        duration: Duration,
        message: String,
    },
}

/// Receives events. Implementations must be cheap: they run on the engine's tasks.
pub trait EventSink: Send + Sync {
    fn event(&self, e: &Event);
    /// Called before the engine prompts on the terminal, so bars can step aside.
    fn suspend(&self, f: &mut dyn FnMut()) {
        f()
    }
}

/// Ignores everything (tests, `-q`).
pub struct Silent;

impl EventSink for Silent {
    fn event(&self, _: &Event) {}
}

/// Several sinks, each given every event in order (like nextest's reporters).
#[derive(Clone, Default)]
pub struct Sinks(Vec<Arc<dyn EventSink>>);

impl Sinks {
    pub fn new(sinks: Vec<Arc<dyn EventSink>>) -> Self {
        Self(sinks)
    }

    pub fn push(&mut self, sink: Arc<dyn EventSink>) {
        self.0.push(sink);
    }
}

impl EventSink for Sinks {
    fn event(&self, e: &Event) {
        for s in &self.0 {
            s.event(e);
        }
    }

    fn suspend(&self, f: &mut dyn FnMut()) {
        // Nest so that every sink steps aside while `f` runs.
        fn nest(sinks: &[Arc<dyn EventSink>], f: &mut dyn FnMut()) {
            match sinks.split_first() {
                None => f(),
                Some((first, rest)) => first.suspend(&mut || nest(rest, f)),
            }
        }
        nest(&self.0, f)
    }
}
