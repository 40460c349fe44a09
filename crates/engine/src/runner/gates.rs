//! Where the engine waits for a human: approval gates, and steps a crash left in flight
//! (re-run or skipped only as the operator says, or by themselves when idempotent).

use std::sync::Arc;

use drctl_core::events::Event;
use drctl_core::record::Record;
use drctl_core::time::t;
use drctl_core::{Decision, Outcome, Phase};
use drctl_model::template::Mode;

use super::Runner;
use crate::RunOutcome;
use crate::approval::{Answer, Gate};

impl Runner {
    /// Hosts where `step` (or its rollback) was left in flight by a crash: journal the
    /// operator's decision for each (`--rerun`/`--skip`, per step or `STEP@HOST`; an
    /// idempotent step re-runs by itself) and return those to run again. Any host left
    /// undecided stops the run (exit 5), naming the step and every such host.
    pub(super) fn settle_in_flight<'h>(
        &self,
        step: &str,
        idempotent: bool,
        hosts: &[&'h str],
        phase: Phase,
    ) -> Result<Vec<&'h str>, RunOutcome> {
        let mut rerun = Vec::new();
        let mut undecided = Vec::new();
        for &host in hosts {
            let d = match self.opts.in_flight_decision(step, host) {
                Some(d) => d,
                None if idempotent => Decision::Rerun,
                None => {
                    undecided.push(host);
                    continue;
                }
            };
            self.sinks.event(&Event::Message {
                text: format!("step `{step}` on `{host}` was in flight: {d}"),
            });
            self.record(Record::Decision {
                t: t(),
                step: step.into(),
                host: host.into(),
                decision: d,
                phase,
            })
            .map_err(|e| self.journal_failed(e))?;
            if d == Decision::Rerun {
                rerun.push(host);
            }
        }
        if undecided.is_empty() {
            return Ok(rerun);
        }
        let what = if phase == Phase::Rollback {
            "the rollback of step"
        } else {
            "step"
        };
        let hosts = undecided
            .iter()
            .map(|h| format!("`{h}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let id = &self.plan.run_id;
        Err(self.finish(RunOutcome::new(
            Outcome::InFlight,
            format!(
                "{what} `{step}` was in flight on host {hosts} when the run stopped; its outcome is unknown. Check the host, then `drctl resume {id} --rerun {step}` or `--skip {step}` (one host: `--skip {step}@HOST`)"
            ),
        )))
    }

    pub(super) async fn gate(self: &Arc<Self>, idx: usize, msg: &str) -> Result<(), RunOutcome> {
        let ps = &self.plan.steps[idx];
        let id = ps.step.id.value.clone();
        let message = self
            .plan
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
            .unwrap_or_else(|e| format!("{msg} (template error: {e})"));
        let me = self.clone();
        let (m, i) = (message.clone(), id.clone());
        let answer = tokio::task::spawn_blocking(move || {
            me.approver.ask(&Gate {
                run_id: &me.plan.run_id,
                step: &i,
                message: &m,
            })
        })
        .await
        .unwrap_or(Answer::Unanswered);
        let by = match answer {
            Answer::Approved { by } => by,
            Answer::Declined { by } => {
                self.sinks.event(&Event::Gate {
                    id: id.clone(),
                    message: message.clone(),
                    approved_by: None,
                });
                return self
                    .on_failure(ps.on_failure, format!("approval `{id}` declined by {by}"))
                    .await;
            }
            Answer::Unanswered => {
                let o = RunOutcome::new(
                    Outcome::WaitingApproval,
                    format!(
                        "stopped at approval gate `{id}`: {message}. No terminal to ask on; approve with `drctl resume {} --approve {id}` (or run with --yes)",
                        self.plan.run_id
                    ),
                );
                self.sinks.event(&Event::Gate {
                    id: id.clone(),
                    message,
                    approved_by: None,
                });
                return Err(self.finish(o));
            }
            Answer::Interrupted => return Err(self.interrupted()),
        };
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
            approved_by: Some(by),
        });
        Ok(())
    }
}
