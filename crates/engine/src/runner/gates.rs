//! Where the engine waits for a human about steps a crash left in flight (re-run or
//! skipped only as the operator says, or by themselves when idempotent). Approval gates
//! are in `wait.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use drctl_core::events::Event;
use drctl_core::record::Record;
use drctl_core::time::t;
use drctl_core::{Decision, Outcome, Phase};

use super::Runner;
use crate::RunOutcome;

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
        checked: &BTreeMap<String, Decision>,
    ) -> Result<Vec<&'h str>, RunOutcome> {
        let mut rerun = Vec::new();
        let mut undecided = Vec::new();
        for &host in hosts {
            let (d, by) = match self.opts.in_flight_decision(step, host) {
                Some(d) => (d, None),
                None => match checked.get(host) {
                    Some(d) => (*d, Some("check".to_string())),
                    None if idempotent => (Decision::Rerun, None),
                    None => {
                        undecided.push(host);
                        continue;
                    }
                },
            };
            let why = if by.is_some() {
                match (phase, d) {
                    (Phase::Forward, Decision::Skip) => " (its check: the effect is in place)",
                    (Phase::Forward, Decision::Rerun) => " (its check: the effect is not in place)",
                    (Phase::Rollback, Decision::Skip) => " (its check: the effect is undone)",
                    (Phase::Rollback, Decision::Rerun) => {
                        " (its check: the effect is still in place)"
                    }
                }
            } else {
                ""
            };
            self.sinks.event(&Event::Message {
                text: format!("step `{step}` on `{host}` was in flight: {d}{why}"),
            });
            self.record(Record::Decision {
                t: t(),
                step: step.into(),
                host: host.into(),
                decision: d,
                phase,
                by,
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

    /// Settle steps left in doubt by their `check:` where the operator did not decide:
    /// forward, an effect in place means done (skip) and an absent one means run it;
    /// for a rollback, the other way round. A check that cannot tell decides nothing.
    pub(super) async fn probe_in_flight(
        self: &Arc<Self>,
        idx: usize,
        hosts: &[&str],
        phase: Phase,
    ) -> BTreeMap<String, Decision> {
        let ps = &self.plan.steps[idx];
        let mut out = BTreeMap::new();
        if ps.step.check.is_none() {
            return out;
        }
        for &name in hosts {
            if self
                .opts
                .in_flight_decision(&ps.step.id.value, name)
                .is_some()
            {
                continue;
            }
            let Some(host) = ps.hosts.iter().find(|h| h.name == name).cloned() else {
                continue;
            };
            let job = crate::host::HostJob {
                plan: self.plan.clone(),
                step: idx,
                captures: self.captures_for(name),
                host,
                phase,
                pool: self.pool.clone(),
                engine: self.engine.clone(),
                cancel: self.opts.cancel.clone(),
                epoch: self.opts.epoch,
            };
            let present = tokio::task::spawn_blocking(move || job.probe())
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            match present {
                Ok(present) => {
                    let d = match (phase, present) {
                        (Phase::Forward, true) | (Phase::Rollback, false) => Decision::Skip,
                        _ => Decision::Rerun,
                    };
                    out.insert(name.to_string(), d);
                }
                Err(e) => self.sinks.event(&Event::Message {
                    text: format!(
                        "the check of step `{}` on `{name}` could not tell ({e}): asking",
                        ps.step.id.value
                    ),
                }),
            }
        }
        out
    }
}
