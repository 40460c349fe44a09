//! The preflight before the first step: connecting to every SSH host of the plan in
//! parallel, refusing the run on a bad host key.

use std::collections::BTreeMap;
use std::sync::Arc;

use drctl_core::Outcome;
use drctl_core::events::Event;
use drctl_model::runbook::inventory::{Host, TransportKind};
use drctl_transport::TransportError;

use crate::RunOutcome;

use super::{PREFLIGHT_GRACE, Runner, lanes};

impl Runner {
    /// Connect to every SSH host of the plan in parallel, waiting at most [`PREFLIGHT_GRACE`]
    /// before the first step: an unknown or changed host key met by then refuses the run
    /// before anything is executed, and a host that does not answer (hung, black-holed)
    /// delays no one. Its connect goes on in the background on the host's lane (see `lanes`),
    /// holding the host's slot, so its first step queues behind it and is judged as strictly (a bad key then refuses the run at
    /// that step); a failure is kept for its later steps (see `pool`).
    pub(super) async fn preconnect(self: &Arc<Self>) -> Result<(), RunOutcome> {
        let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
        for s in &self.plan.steps {
            for h in &s.hosts {
                if h.transport == TransportKind::Ssh {
                    hosts.insert(h.name.clone(), h.clone());
                }
            }
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let pending = hosts.len();
        for (name, h) in hosts {
            let pool = self.pool.clone();
            let tx = tx.clone();
            let job: lanes::Job = Box::new(move || {
                let _ = tx.send(pool.connect(&h));
            });
            if let Err(job) = self.lanes.start(&name, job) {
                tokio::task::spawn_blocking(job);
            }
        }
        drop(tx);
        let warn = |me: &Self, e: &TransportError| {
            me.sinks.event(&Event::Message {
                text: format!(
                    "warning: {e} (its steps fail with this error; a step's retries dial again)"
                ),
            });
        };
        let deadline = tokio::time::Instant::now() + PREFLIGHT_GRACE;
        let mut refused = Vec::new();
        let mut done = 0;
        while done < pending {
            let Ok(Some(res)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
                break;
            };
            done += 1;
            if let Err(e) = res {
                if e.is_host_key() {
                    let hint = e.hint().unwrap_or_default();
                    refused.push(format!("{e}\n  hint: {hint}"));
                } else {
                    warn(self, &e);
                }
            }
        }
        if done < pending {
            // The rest report when they end; a bad key among them refuses at its step.
            let me = self.clone();
            tokio::spawn(async move {
                while let Some(res) = rx.recv().await {
                    if let Err(e) = res
                        && !e.is_host_key()
                    {
                        warn(&me, &e);
                    }
                }
            });
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(self.finish(RunOutcome::new(Outcome::Refused, refused.join("\n"))))
        }
    }
}
