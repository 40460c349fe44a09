//! The terminal side of approval gates: `--yes` and `--approve STEP` answer first, then a
//! prompt on the operator's terminal, or nobody (the run stops at the gate, exit 5).

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

use drctl_core::events::EventSink;
use drctl_engine::approval::{Answer, Approver, Gate, NoApprover, PresetApprover};

use super::args::ExecArgs;

/// Asks on the terminal; progress bars step aside while it does.
pub struct TerminalApprover {
    user: String,
    sinks: Arc<dyn EventSink>,
}

impl Approver for TerminalApprover {
    fn ask(&self, gate: &Gate<'_>) -> Answer {
        let mut line = String::new();
        self.sinks.suspend(&mut || {
            eprint!(
                "\n  APPROVAL NEEDED [{}]: {}\n  Type 'yes' to approve, anything else to decline: ",
                gate.step, gate.message
            );
            let _ = std::io::stdin().lock().read_line(&mut line);
        });
        match line.trim().to_lowercase().as_str() {
            "yes" | "y" => Answer::Approved {
                by: format!("{} (terminal)", self.user),
            },
            _ => Answer::Declined {
                by: format!("{} (terminal)", self.user),
            },
        }
    }
}

/// The approver the flags and the terminal allow.
pub fn approver(e: &ExecArgs, user: &str, sinks: Arc<dyn EventSink>) -> Arc<dyn Approver> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let then: Arc<dyn Approver> = if interactive {
        Arc::new(TerminalApprover {
            user: user.to_string(),
            sinks,
        })
    } else {
        Arc::new(NoApprover)
    };
    Arc::new(PresetApprover {
        yes: e.yes,
        approve: e.approve.iter().cloned().collect(),
        user: user.to_string(),
        then,
    })
}
