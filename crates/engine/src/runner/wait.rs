//! Approval gates: the approver (`--yes`, `--approve`, a terminal prompt) answers first;
//! where nobody can at a terminal, or a gate needs more distinct persons than answered
//! there, the run keeps its lock and connections and waits up to `--gate-wait` for
//! answers posted through the store by `drctl approve` / `drctl decline` from other
//! terminals. While a terminal prompt is open, answers from other terminals are taken too:
//! the first decisive answer wins and the prompt is withdrawn.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use drctl_core::Outcome;
use drctl_core::events::{Event, GateState};
use drctl_core::gate::Verdict;
use drctl_core::record::Record;
use drctl_core::time::t;
use drctl_model::template::Mode;

use super::Runner;
use crate::RunOutcome;
use crate::approval::{Answer, Gate};

/// How often the store is read for answers while a gate waits.
const POLL: Duration = Duration::from_millis(250);

/// Approvals counted so far: one per distinct person.
#[derive(Default)]
struct Tally {
    persons: BTreeSet<String>,
    by: Vec<String>,
}

impl Tally {
    /// Count `person`'s approval; false when that person had already approved.
    fn add(&mut self, person: &str, by: String) -> bool {
        if !self.persons.insert(person.to_string()) {
            return false;
        }
        self.by.push(by);
        true
    }
}

/// The remote wait, once open: the `gate_wait` record's time and its deadline.
struct Waiting {
    since: String,
    deadline: Option<Instant>,
    seen: BTreeSet<String>,
}

impl Runner {
    fn gate_message(&self, idx: usize, msg: &str) -> String {
        let ps = &self.plan.steps[idx];
        self.plan
            .render(
                &self.engine,
                msg,
                Mode::Text,
                ps,
                None,
                // Values captured so far render in the message as in the next step.
                &self.captures_for(drctl_transport::LOCAL),
                true,
            )
            .unwrap_or_else(|e| format!("{msg} (template error: {e})"))
    }

    pub(super) async fn gate(self: &Arc<Self>, idx: usize, msg: &str) -> Result<(), RunOutcome> {
        let ps = &self.plan.steps[idx];
        let id = ps.step.id.value.clone();
        let needed = ps.step.approvers.as_ref().map_or(1, |a| a.value.max(1));
        let message = self.gate_message(idx, msg);
        let withdrawn = Arc::new(AtomicBool::new(false));
        let withdraw = || withdrawn.store(true, Ordering::SeqCst);
        let interactive = self.approver.interactive(&id);
        // With a prompt about to open, answers from other terminals are taken while it is.
        let mut waiting: Option<Waiting> = match (interactive, &self.answers) {
            (true, Some(_)) => Some(self.open_wait(&id, &message, needed, None)?),
            _ => None,
        };
        let me = self.clone();
        let (m, i, w) = (message.clone(), id.clone(), withdrawn.clone());
        let mut local = Some(tokio::task::spawn_blocking(move || {
            me.approver.ask(&Gate {
                run_id: &me.plan.run_id,
                step: &i,
                message: &m,
                withdrawn: w,
            })
        }));
        let mut tally = Tally::default();
        let mut announced = false;
        let mut store_warned = false;
        loop {
            // A non-interactive approver answers at once: no need to poll for it.
            let ready = |h: &mut tokio::task::JoinHandle<Answer>| !interactive || h.is_finished();
            if let Some(h) = local.take_if(ready) {
                match h.await.unwrap_or(Answer::Unanswered) {
                    Answer::Approved { by } => {
                        tally.add(&self.operator.user, by);
                    }
                    Answer::Declined { by } => {
                        return self.declined(idx, &message, by).await;
                    }
                    Answer::Interrupted => return Err(self.interrupted()),
                    Answer::Unanswered => {}
                }
            }
            if tally.persons.len() as u32 >= needed {
                withdraw();
                break;
            }
            let prompt_open = local.is_some();
            if waiting.is_none()
                && self.answers.is_some()
                && !prompt_open
                && let Some(d) = self.opts.gate_wait
            {
                waiting = Some(self.open_wait(&id, &message, needed, Some(d))?);
                announced = true;
            }
            match &mut waiting {
                Some(w) => {
                    let store = self.answers.as_ref().expect("answers store");
                    let answers = match store.answers(&self.plan.run_id) {
                        Ok(a) => a,
                        Err(e) => {
                            if !store_warned {
                                store_warned = true;
                                self.sinks.event(&Event::Message {
                                    text: format!("warning: reading answers to gate `{id}`: {e}"),
                                });
                            }
                            Vec::new()
                        }
                    };
                    for a in answers {
                        if a.step != id || a.wait != w.since {
                            continue;
                        }
                        let key = format!("{}|{}|{}|{}", a.t, a.by.host, a.by.pid, a.verdict);
                        if !w.seen.insert(key) {
                            continue;
                        }
                        let by = format!("{} (drctl {})", a.by.describe(), a.verdict);
                        let counted = match a.verdict {
                            Verdict::Decline => true,
                            Verdict::Approve => tally.add(a.by.person(), by.clone()),
                        };
                        self.record(Record::Answer {
                            t: a.t.clone(),
                            step: id.clone(),
                            verdict: a.verdict,
                            by: a.by.clone(),
                            reason: a.reason.clone(),
                            counted,
                        })
                        .map_err(|e| self.journal_failed(e))?;
                        if a.verdict == Verdict::Decline {
                            withdraw();
                            let why = a.reason.as_deref().map_or(String::new(), |r| {
                                format!(": {}", self.plan.masker.mask(r))
                            });
                            return self.declined(idx, &message, format!("{by}{why}")).await;
                        }
                        let text = if counted {
                            format!(
                                "gate `{id}`: approved by {by} ({} of {needed})",
                                tally.persons.len()
                            )
                        } else {
                            format!(
                                "gate `{id}`: {} had already approved; the same person twice counts once ({} of {needed})",
                                a.by.person(),
                                tally.persons.len()
                            )
                        };
                        self.sinks.event(&Event::Message { text });
                    }
                    if tally.persons.len() as u32 >= needed {
                        withdraw();
                        break;
                    }
                    // The prompt closed (approved while more persons are needed, or stdin
                    // closed): from now on `--gate-wait` bounds the wait.
                    if local.is_none() && w.deadline.is_none() {
                        match self.opts.gate_wait {
                            Some(d) => w.deadline = Some(Instant::now() + d),
                            None => {
                                return Err(
                                    self.unanswered(&id, message, &tally, needed, announced)
                                );
                            }
                        }
                    }
                    if local.is_none() && w.deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(self.unanswered(&id, message, &tally, needed, announced));
                    }
                }
                None if !prompt_open => {
                    return Err(self.unanswered(&id, message, &tally, needed, announced));
                }
                None => {}
            }
            if self.opts.cancel.load(Ordering::SeqCst) {
                withdraw();
                return Err(self.interrupted());
            }
            tokio::time::sleep(POLL).await;
        }
        let by = tally.by.join(", ");
        self.record(Record::Gate {
            t: t(),
            step: id.clone(),
            approved_by: by.clone(),
            message: Some(message.clone()),
        })
        .map_err(|e| self.journal_failed(e))?;
        self.sinks.event(&Event::Gate {
            id,
            message,
            state: GateState::Approved { by },
        });
        Ok(())
    }

    /// Journal that the gate waits for answers from other terminals (`until`: the
    /// `--gate-wait` bound; none while a prompt is open) and say how to give them. Without a
    /// prompt, the gate is announced (notifications) as it starts waiting.
    fn open_wait(
        &self,
        id: &str,
        message: &str,
        needed: u32,
        until: Option<Duration>,
    ) -> Result<Waiting, RunOutcome> {
        let since = t();
        let until_t = until.map(|d| {
            jiff::Timestamp::now()
                .checked_add(jiff::SignedDuration::try_from(d).unwrap_or_default())
                .map(|x| x.to_string())
                .unwrap_or_default()
        });
        self.record(Record::GateWait {
            t: since.clone(),
            step: id.to_string(),
            approvers: needed,
            until: until_t,
        })
        .map_err(|e| self.journal_failed(e))?;
        let who = if needed > 1 {
            format!("{needed} distinct persons must approve")
        } else {
            "one approval is enough".into()
        };
        let how_long = match until {
            Some(d) => format!("for {}", drctl_model::runbook::duration::format_duration(d)),
            None => "while the prompt is open".into(),
        };
        if until.is_some() {
            self.sinks.event(&Event::Gate {
                id: id.to_string(),
                message: message.to_string(),
                state: GateState::Waiting,
            });
        }
        self.sinks.event(&Event::Message {
            text: format!(
                "gate `{id}` waits {how_long} for `drctl approve {run} {id}` (or `drctl decline {run} {id} --reason TEXT`) from another terminal; {who}",
                run = self.plan.run_id
            ),
        });
        Ok(Waiting {
            since,
            deadline: until.map(|d| Instant::now() + d),
            seen: BTreeSet::new(),
        })
    }

    /// A declined gate fails as a step would (rollback per `on_failure`).
    async fn declined(
        self: &Arc<Self>,
        idx: usize,
        message: &str,
        by: String,
    ) -> Result<(), RunOutcome> {
        let ps = &self.plan.steps[idx];
        let id = ps.step.id.value.clone();
        self.sinks.event(&Event::Gate {
            id: id.clone(),
            message: message.to_string(),
            state: GateState::NotApproved,
        });
        self.on_failure(ps.on_failure, format!("approval `{id}` declined by {by}"))
            .await
    }

    /// Nobody (or not enough distinct persons) approved: the run stops at the gate (exit
    /// 5) for a later `resume`.
    fn unanswered(
        &self,
        id: &str,
        message: String,
        tally: &Tally,
        needed: u32,
        announced: bool,
    ) -> RunOutcome {
        let run = &self.plan.run_id;
        let why = match (self.opts.gate_wait, tally.persons.len()) {
            (_, n) if n > 0 => format!(
                "it needs {needed} distinct approvers and has {n} ({}); resume with `drctl resume {run} --gate-wait DURATION` and have others `drctl approve {run} {id}`",
                tally.by.join(", ")
            ),
            (Some(d), _) => format!(
                "no answer within --gate-wait {}; approve with `drctl resume {run} --approve {id}` (or `--gate-wait` and `drctl approve {run} {id}`)",
                drctl_model::runbook::duration::format_duration(d)
            ),
            (None, _) => format!(
                "No terminal to ask on; approve with `drctl resume {run} --approve {id}` (or run with --yes, or wait with --gate-wait for `drctl approve`)"
            ),
        };
        let o = RunOutcome::new(
            Outcome::WaitingApproval,
            format!("stopped at approval gate `{id}`: {message}. {why}"),
        );
        if !announced {
            self.sinks.event(&Event::Gate {
                id: id.to_string(),
                message,
                state: GateState::NotApproved,
            });
        }
        self.finish(o)
    }
}
