//! What the runner writes down: journal records (the one sink that must succeed), the
//! live checkpoint they update, captured values as commands see them, and the audit
//! entries derived from the records.

use std::collections::BTreeMap;

use drctl_core::Phase;
use drctl_core::events::Event;
use drctl_core::record::Record;
use drctl_core::store::{AuditEntry as Entry, StateError};

use super::Runner;

impl Runner {
    /// Write a record to the journal (durably: the one sink that must succeed), apply it
    /// to the live checkpoint, and audit what it says.
    pub fn record(&self, r: Record) -> Result<(), StateError> {
        if let Err(e) = self.journal.append(&r) {
            if matches!(e, StateError::Fenced { .. }) {
                self.fenced.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            let mut first = self.journal_error.lock().expect("journal error");
            if first.is_none() {
                *first = Some(e.to_string());
            }
            return Err(e);
        }
        self.checkpoint.lock().expect("checkpoint").apply(&r);
        self.audit_record(&r);
        Ok(())
    }

    /// Captured values visible on `host`: its own, plus any captured on exactly one host.
    pub fn captures_for(&self, host: &str) -> BTreeMap<String, String> {
        let cp = self.checkpoint.lock().expect("checkpoint");
        let mut seen: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
        for vals in cp.captures.values() {
            for (k, v) in vals {
                seen.entry(k).or_default().push(v);
            }
        }
        let mut out: BTreeMap<String, String> = seen
            .into_iter()
            .filter(|(_, v)| v.len() == 1)
            .map(|(k, v)| (k.to_string(), v[0].clone()))
            .collect();
        if let Some(own) = cp.captures.get(host) {
            out.extend(own.clone());
        }
        // The journal holds secrets sealed; commands get the run's values back.
        for v in out.values_mut() {
            *v = self.plan.masker.unseal(v);
        }
        out
    }

    pub fn audit(
        &self,
        action: &str,
        step: Option<&str>,
        host: Option<&str>,
        command: Option<String>,
        exit: Option<i32>,
        digest: Option<String>,
    ) {
        if let Some(a) = &self.audit {
            let e = Entry {
                who: self.operator.user.clone(),
                sudo_user: self.operator.sudo_user.clone(),
                controller: self.operator.controller.clone(),
                run_id: self.plan.run_id.clone(),
                runbook: self.plan.runbook.name.clone(),
                action: action.into(),
                step: step.map(str::to_string),
                host: host.map(str::to_string),
                command: command.map(|c| self.plan.masker.mask(&c)),
                exit,
                digest,
                ..Default::default()
            };
            if let Err(e) = a.append(e) {
                self.sinks.event(&Event::Message {
                    text: format!("warning: audit journal: {e}"),
                });
            }
        }
    }

    /// The audit chain's view of a journal record: commands, approvals and the run's end
    /// are audited exactly as they were journaled.
    pub(super) fn audit_record(&self, r: &Record) {
        match r {
            Record::Finished {
                step,
                host,
                phase,
                exit,
                digest,
                command,
                ..
            } => {
                let action = match phase {
                    Phase::Forward => "command",
                    Phase::Rollback => "rollback-command",
                };
                let digest = Some(digest.clone());
                self.audit(
                    action,
                    Some(step),
                    Some(host),
                    command.clone(),
                    *exit,
                    digest,
                );
            }
            Record::Gate { step, message, .. } => {
                self.audit("approve", Some(step), None, message.clone(), None, None)
            }
            Record::Answer {
                step,
                verdict,
                by,
                reason,
                counted,
                ..
            } => {
                // Audited as the person who answered, from where they answered.
                if let Some(a) = &self.audit {
                    let what = match verdict {
                        drctl_core::gate::Verdict::Approve if *counted => "gate-approve",
                        drctl_core::gate::Verdict::Approve => "gate-approve-not-counted",
                        drctl_core::gate::Verdict::Decline => "gate-decline",
                    };
                    let e = Entry {
                        who: by.describe(),
                        controller: by.host.clone(),
                        run_id: self.plan.run_id.clone(),
                        runbook: self.plan.runbook.name.clone(),
                        action: what.into(),
                        step: Some(step.clone()),
                        command: reason.as_ref().map(|r| self.plan.masker.mask(r)),
                        ..Default::default()
                    };
                    if let Err(e) = a.append(e) {
                        self.sinks.event(&Event::Message {
                            text: format!("warning: audit journal: {e}"),
                        });
                    }
                }
            }
            Record::RunEnd {
                outcome,
                exit,
                message,
                ..
            } => self.audit(
                "run-end",
                None,
                None,
                Some(format!("{outcome}: {message}")),
                Some(*exit),
                None,
            ),
            _ => {}
        }
    }
}
