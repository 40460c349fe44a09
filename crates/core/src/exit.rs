//! Exit codes: stable, documented in the README, one per way a command can end.

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
    /// Fenced: this controller lost the run's lock (its lease expired, another controller
    /// took the run over) and sent nothing more.
    Fenced = 6,
    /// Interrupted (Ctrl-C); state saved, resumable.
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}
