//! Where the engine waits for a human: approval gates, and steps a crash left in flight
//! (re-run or skipped only as the operator says, or by themselves when idempotent).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::Arc;

use super::Runner;
use crate::error::Exit;
use crate::exec::events::Event;
use crate::exec::{InFlightDecision, RunOutcome};
use crate::runbook::inventory::current_user;
use crate::state::journal::{Phase, Record, t};
use crate::template::Mode;

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
                None if idempotent => InFlightDecision::Rerun,
                None => {
                    undecided.push(host);
                    continue;
                }
            };
            let word = if d == InFlightDecision::Skip {
                "skip"
            } else {
                "rerun"
            };
            self.reporter.event(&Event::Message {
                text: format!("step `{step}` on `{host}` was in flight: {word}"),
            });
            self.record(Record::Decision {
                t: t(),
                step: step.into(),
                host: host.into(),
                decision: word.into(),
                phase,
            })
            .map_err(|e| self.journal_failed(e))?;
            if d == InFlightDecision::Rerun {
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
            "in-flight",
            Exit::InFlight,
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
                &BTreeMap::new(),
                true,
            )
            .unwrap_or_else(|e| format!("{msg} (template error: {e})"));
        let approved_by = if self.opts.yes {
            Some(format!("{} (--yes)", current_user()))
        } else if self.opts.approve.contains(&id) {
            Some(format!("{} (--approve {id})", current_user()))
        } else if self.opts.interactive {
            let reporter = self.reporter.clone();
            let (m, i) = (message.clone(), id.clone());
            let answer = tokio::task::spawn_blocking(move || {
                let mut line = String::new();
                reporter.suspend(&mut || {
                    eprint!("\n  APPROVAL NEEDED [{i}]: {m}\n  Type 'yes' to approve, anything else to decline: ");
                    let _ = std::io::stdin().lock().read_line(&mut line);
                });
                line.trim().to_lowercase()
            })
            .await
            .unwrap_or_default();
            if answer == "yes" || answer == "y" {
                Some(format!("{} (terminal)", current_user()))
            } else {
                self.reporter.event(&Event::Gate {
                    id: id.clone(),
                    message: message.clone(),
                    approved_by: None,
                });
                return self
                    .on_failure(ps.on_failure, format!("approval `{id}` declined"))
                    .await;
            }
        } else {
            let o = RunOutcome::new(
                "waiting-approval",
                Exit::InFlight,
                format!(
                    "stopped at approval gate `{id}`: {message}. No terminal to ask on; approve with `drctl resume {} --approve {id}` (or run with --yes)",
                    self.plan.run_id
                ),
            );
            self.reporter.event(&Event::Gate {
                id: id.clone(),
                message,
                approved_by: None,
            });
            return Err(self.finish(o));
        };
        let by = approved_by.expect("set");
        self.record(Record::Gate {
            t: t(),
            step: id.clone(),
            approved_by: by.clone(),
        })
        .map_err(|e| self.journal_failed(e))?;
        self.audit(
            "approve",
            Some(&id),
            None,
            Some(message.clone()),
            None,
            None,
        );
        self.reporter.event(&Event::Gate {
            id,
            message,
            approved_by: Some(by),
        });
        Ok(())
    }
}
