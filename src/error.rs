//! Exit codes (stable, documented in the README) and the errors that map to them.

use std::fmt;

/// drctl's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success (drill: success and every objective met).
    Success = 0,
    /// The run failed and was rolled back cleanly (or a drill objective was missed).
    FailedRolledBack = 1,
    /// Usage, runbook or inventory error: nothing was executed.
    Usage = 2,
    /// The run failed and rollback failed, was incomplete, or was not asked for: a human must look.
    NeedsHuman = 3,
    /// Refused: another run holds the lock, or a host key is unknown/changed.
    Refused = 4,
    /// Stopped with a step in flight; `drctl resume` decides.
    InFlight = 5,
    /// Interrupted (Ctrl-C); state saved, resumable.
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// An error that ends the command with a given exit code and message.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// The exit code for an error that reached the top: a [`Failure`] keeps its own code,
/// anything else is an internal problem reported as a usage-class error.
pub fn exit_for(err: &anyhow::Error) -> Exit {
    err.downcast_ref::<Failure>()
        .map_or(Exit::Usage, |f| f.exit)
}
