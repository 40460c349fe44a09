//! The terminal side of approval gates: `--yes` and `--approve STEP` answer first, then a
//! prompt on the operator's terminal, or nobody (the run stops at the gate, exit 5).
//!
//! At the prompt only `yes` approves; an empty answer asks again; any other answer asks
//! to confirm the decline (which fails the gate and rolls back); Ctrl-C interrupts the
//! run with the gate still pending (exit 130), never declines it; a closed stdin leaves
//! the gate pending (exit 5).

use std::io::{BufRead, IsTerminal};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use drctl_core::events::EventSink;
use drctl_engine::approval::{Answer, Approver, Gate, NoApprover, PresetApprover};

use super::args::ExecArgs;

/// Asks on the terminal; progress bars step aside while it does.
pub struct TerminalApprover {
    user: String,
    sinks: Arc<dyn EventSink>,
    cancel: Arc<AtomicBool>,
    /// Lines from stdin, read on a thread started at the first question.
    lines: Mutex<Option<mpsc::Receiver<Option<String>>>>,
}

/// One line read from stdin, or what stopped the wait for it.
enum Reply {
    Line(String),
    Closed,
    Interrupted,
}

impl TerminalApprover {
    fn new(user: &str, sinks: Arc<dyn EventSink>, cancel: Arc<AtomicBool>) -> Self {
        Self {
            user: user.to_string(),
            sinks,
            cancel,
            lines: Mutex::new(None),
        }
    }

    /// stdin is read on a thread of its own, so that Ctrl-C (which only sets the cancel
    /// flag) can end the wait for an answer.
    fn reader() -> mpsc::Receiver<Option<String>> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            loop {
                let mut line = String::new();
                let got = match stdin.lock().read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => Some(line),
                };
                let closed = got.is_none();
                if tx.send(got).is_err() || closed {
                    return;
                }
            }
        });
        rx
    }

    fn ask_line(&self, question: &str, withdrawn: &AtomicBool) -> Reply {
        let mut guard = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        let lines = guard.get_or_insert_with(Self::reader);
        // Whatever was typed before the question is not an answer to it.
        while let Ok(Some(_)) = lines.try_recv() {}
        self.sinks.suspend(&mut || eprint!("{question}"));
        loop {
            if self.cancel.load(Ordering::SeqCst) {
                eprintln!();
                return Reply::Interrupted;
            }
            if withdrawn.load(Ordering::SeqCst) {
                eprintln!("\n  (answered from another terminal)");
                return Reply::Closed;
            }
            match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(Some(l)) => return Reply::Line(l.trim().to_lowercase()),
                Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => return Reply::Closed,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

impl Approver for TerminalApprover {
    fn interactive(&self, _step: &str) -> bool {
        true
    }

    fn ask(&self, gate: &Gate<'_>) -> Answer {
        let question = format!(
            "\n  APPROVAL NEEDED [{}]: {}\n  Type 'yes' to approve, 'no' to decline: ",
            gate.step, gate.message
        );
        loop {
            let answer = match self.ask_line(&question, &gate.withdrawn) {
                Reply::Interrupted => return Answer::Interrupted,
                Reply::Closed => return Answer::Unanswered,
                Reply::Line(a) => a,
            };
            match answer.as_str() {
                "yes" => {
                    return Answer::Approved {
                        by: format!("{} (terminal)", self.user),
                    };
                }
                "" => continue,
                _ => {}
            }
            let confirm = "  Declining fails this gate and rolls the run back. Type 'decline' to confirm, anything else to be asked again: ";
            match self.ask_line(confirm, &gate.withdrawn) {
                Reply::Interrupted => return Answer::Interrupted,
                Reply::Closed => return Answer::Unanswered,
                Reply::Line(c) if c == "decline" => {
                    return Answer::Declined {
                        by: format!("{} (terminal)", self.user),
                    };
                }
                Reply::Line(_) => {}
            }
        }
    }
}

/// The approver the flags and the terminal allow.
pub fn approver(
    e: &ExecArgs,
    user: &str,
    sinks: Arc<dyn EventSink>,
    cancel: Arc<AtomicBool>,
) -> Arc<dyn Approver> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let then: Arc<dyn Approver> = if interactive {
        Arc::new(TerminalApprover::new(user, sinks, cancel))
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
