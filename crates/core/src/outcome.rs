//! Typed words of a run: how it ended ([`Outcome`]), what the operator decided about a step
//! left in flight ([`Decision`]), which way it was going ([`Phase`]) and in which mode
//! ([`RunMode`]). Serialized as the same kebab-case words journals have always carried.

use serde::{Deserialize, Serialize};

use crate::Exit;

/// How a run ended (or stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every step succeeded.
    Succeeded,
    /// Every step ran, but a failure was continued past (`on_failure: continue`): what it
    /// left (a primary not fenced, say) is for a human to check.
    CompletedWithFailures,
    /// Every step was skipped (`--limit` left no host, every `when` was false): nothing ran.
    NothingRan,
    /// A step failed and every completed step was rolled back.
    RolledBack,
    /// The rollback undid the steps after a point of no return and stopped there: what
    /// came before it stands, for a human to decide (`drctl rollback
    /// --cross-point-of-no-return` goes on).
    StoppedAtPointOfNoReturn,
    /// The operator asked for the rollback (`drctl rollback`) and every completed step was
    /// rolled back: the command did what was asked.
    RolledBackOnRequest,
    /// A rollback command failed: a human must look.
    RollbackFailed,
    /// `on_failure: abort`: stopped without rollback.
    Aborted,
    /// A host key was unknown or changed, or the lock is held.
    Refused,
    /// A step (or its rollback) was left in flight; `drctl resume` decides.
    InFlight,
    /// Stopped at an approval gate with no one to ask.
    WaitingApproval,
    /// Ctrl-C (or another signal): state saved, resumable.
    Interrupted,
    /// The journal could not be written: the run stopped.
    JournalFailed,
    /// The controller lost the run's lock (shared state): another controller owns the run;
    /// this one stopped and sent nothing more.
    Fenced,
    /// A drill step failed (before its cleanup): never journaled as a run's end.
    Failed,
    /// Drill: every step passed, the environment was restored, every objective met.
    DrillPassed,
    /// Drill: a step failed; the environment was restored.
    DrillFailed,
    /// Drill: every step passed but the recovery time objective was missed.
    DrillMissedRto,
    /// Drill: the rollback ran, but something is left for a human (a step that changed
    /// state and has no rollback, a command whose outcome is unknown).
    DrillIncomplete,
}

impl Outcome {
    /// The process exit code a run that ended so gives.
    pub fn exit(self) -> Exit {
        match self {
            Self::Succeeded | Self::DrillPassed | Self::RolledBackOnRequest => Exit::Success,
            Self::RolledBack | Self::Failed | Self::DrillFailed | Self::DrillMissedRto => {
                Exit::FailedRolledBack
            }
            Self::RollbackFailed
            | Self::Aborted
            | Self::JournalFailed
            | Self::CompletedWithFailures
            | Self::StoppedAtPointOfNoReturn
            | Self::DrillIncomplete => Exit::NeedsHuman,
            Self::NothingRan => Exit::Usage,
            Self::Refused => Exit::Refused,
            Self::InFlight | Self::WaitingApproval => Exit::InFlight,
            Self::Interrupted => Exit::Interrupted,
            Self::Fenced => Exit::Fenced,
        }
    }

    /// A final outcome leaves nothing to resume.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Succeeded
                | Self::CompletedWithFailures
                | Self::NothingRan
                | Self::RolledBack
                | Self::RolledBackOnRequest
                | Self::DrillPassed
                | Self::DrillFailed
                | Self::DrillMissedRto
                | Self::DrillIncomplete
        )
    }

    /// The run did what it was for (its recovery time may be judged as met).
    pub fn recovered(self) -> bool {
        matches!(
            self,
            Self::Succeeded
                | Self::CompletedWithFailures
                | Self::DrillPassed
                | Self::DrillMissedRto
        )
    }

    /// The word journals, reports and `drctl runs` carry.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::CompletedWithFailures => "completed-with-failures",
            Self::NothingRan => "nothing-ran",
            Self::DrillIncomplete => "drill-incomplete",
            Self::RolledBack => "rolled-back",
            Self::StoppedAtPointOfNoReturn => "stopped-at-point-of-no-return",
            Self::RolledBackOnRequest => "rolled-back-on-request",
            Self::RollbackFailed => "rollback-failed",
            Self::Aborted => "aborted",
            Self::Refused => "refused",
            Self::InFlight => "in-flight",
            Self::WaitingApproval => "waiting-approval",
            Self::Interrupted => "interrupted",
            Self::JournalFailed => "journal-failed",
            Self::Fenced => "fenced",
            Self::Failed => "failed",
            Self::DrillPassed => "drill-passed",
            Self::DrillFailed => "drill-failed",
            Self::DrillMissedRto => "drill-missed-rto",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the operator said about a step left in flight on a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Run it again.
    Rerun,
    /// Treat it as done.
    Skip,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rerun => "rerun",
            Self::Skip => "skip",
        }
    }
}

/// Forward steps, or their rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Forward,
    Rollback,
}

impl Phase {
    pub(crate) fn forward() -> Self {
        Phase::Forward
    }
}

/// A real run, or a rehearsal that rolls everything back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    Run,
    Drill,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Run => "run",
            RunMode::Drill => "drill",
        }
    }
}

impl std::fmt::Display for RunMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_keep_their_journal_words_and_exit_codes() {
        for (o, word, code) in [
            (Outcome::Succeeded, "succeeded", 0),
            (Outcome::RolledBack, "rolled-back", 1),
            (Outcome::RolledBackOnRequest, "rolled-back-on-request", 0),
            (Outcome::RollbackFailed, "rollback-failed", 3),
            (Outcome::WaitingApproval, "waiting-approval", 5),
            (Outcome::DrillMissedRto, "drill-missed-rto", 1),
            (Outcome::Interrupted, "interrupted", 130),
        ] {
            assert_eq!(serde_json::to_string(&o).unwrap(), format!("\"{word}\""));
            assert_eq!(o.as_str(), word);
            assert_eq!(o.exit().code(), code);
        }
        let d: Decision = serde_json::from_str("\"skip\"").unwrap();
        assert_eq!(d, Decision::Skip);
    }
}
