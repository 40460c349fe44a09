//! Approval gates as a seam: the engine asks an [`Approver`] and acts on its [`Answer`];
//! whether the answer comes from `--yes`, `--approve STEP`, a terminal prompt or (later)
//! another operator is the approver's business. No terminal I/O happens in the engine.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// A gate waiting for an answer.
#[derive(Debug, Clone)]
pub struct Gate<'a> {
    pub run_id: &'a str,
    pub step: &'a str,
    /// The approval message, rendered (secrets masked).
    pub message: &'a str,
    /// Set when the gate was settled elsewhere (answers from other terminals): a prompt
    /// still open gives up and returns [`Answer::Unanswered`].
    pub withdrawn: Arc<AtomicBool>,
}

/// What an approver said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Go on; `by` names who approved and how (`alice (--yes)`).
    Approved { by: String },
    /// Do not go on: the gate fails as a step would.
    Declined { by: String },
    /// Nobody could be asked: the run stops at the gate (exit 5) for a later `resume`.
    Unanswered,
    /// The question was interrupted (Ctrl-C): the gate stays pending.
    Interrupted,
}

/// Answers approval gates. Blocking: the engine calls it off its async runtime.
pub trait Approver: Send + Sync {
    fn ask(&self, gate: &Gate<'_>) -> Answer;

    /// Whether a human may answer `ask` for gate `step` at a prompt (which then waits as
    /// long as it takes); answers from other terminals are taken meanwhile.
    fn interactive(&self, _step: &str) -> bool {
        false
    }
}

/// Nobody to ask: every gate stops the run.
pub struct NoApprover;

impl Approver for NoApprover {
    fn ask(&self, _: &Gate<'_>) -> Answer {
        Answer::Unanswered
    }
}

/// Answers from the command line (`--yes`, `--approve STEP`), then asks `then` (a terminal
/// prompt, say) for the rest.
pub struct PresetApprover {
    pub yes: bool,
    pub approve: BTreeSet<String>,
    pub user: String,
    pub then: Arc<dyn Approver>,
}

impl Approver for PresetApprover {
    fn ask(&self, gate: &Gate<'_>) -> Answer {
        if self.yes {
            Answer::Approved {
                by: format!("{} (--yes)", self.user),
            }
        } else if self.approve.contains(gate.step) {
            Answer::Approved {
                by: format!("{} (--approve {})", self.user, gate.step),
            }
        } else {
            self.then.ask(gate)
        }
    }

    fn interactive(&self, step: &str) -> bool {
        !self.yes && !self.approve.contains(step) && self.then.interactive(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_answers_first_then_delegates() {
        let a = PresetApprover {
            yes: false,
            approve: ["promote".to_string()].into(),
            user: "ops".into(),
            then: Arc::new(NoApprover),
        };
        let gate = |step| Gate {
            run_id: "r",
            step,
            message: "m",
            withdrawn: Arc::default(),
        };
        assert_eq!(
            a.ask(&gate("promote")),
            Answer::Approved {
                by: "ops (--approve promote)".into()
            }
        );
        assert_eq!(a.ask(&gate("other")), Answer::Unanswered);
    }
}
