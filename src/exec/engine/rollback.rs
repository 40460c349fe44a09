//! Rollback: the `rollback` of every completed step, newest first, on exactly the hosts
//! where it succeeded; journaled, resumable, and stopping at the first failure.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Runner;
use crate::error::Exit;
use crate::exec::RunOutcome;
use crate::exec::events::Event;
use crate::state::checkpoint::HostState;
use crate::state::journal::{Phase, Record, t};

impl Runner {
    /// Undo every completed step, newest first, on exactly the hosts where it succeeded.
    pub async fn rollback_all(self: &Arc<Self>, reason: String) -> RunOutcome {
        self.rollback_steps(reason, true).await
    }

    /// Roll back; a clean result is journaled as the run's end only when `finish_clean`.
    pub(super) async fn rollback_steps(
        self: &Arc<Self>,
        reason: String,
        finish_clean: bool,
    ) -> RunOutcome {
        if self.cp().rollback_begun.is_none() {
            let _ = self.record(Record::RollbackBegin {
                t: t(),
                reason: reason.clone(),
            });
        }
        self.reporter.event(&Event::RollbackStarted {
            reason: reason.clone(),
        });
        for idx in (0..self.plan.steps.len()).rev() {
            let ps = &self.plan.steps[idx];
            let id = ps.step.id.value.clone();
            if ps.step.rollback.is_none() {
                continue;
            }
            let cp = self.cp();
            let done: Vec<_> = ps
                .hosts
                .iter()
                .filter(|h| cp.forward_state(&id, &h.name) == Some(HostState::Ok))
                .collect();
            let in_flight: Vec<&str> = done
                .iter()
                .filter(|h| cp.rollback_state(&id, &h.name) == Some(HostState::InFlight))
                .map(|h| h.name.as_str())
                .collect();
            let rerun = match self.settle_in_flight(&id, ps.idempotent, &in_flight, Phase::Rollback)
            {
                Ok(r) => r,
                Err(o) => return o,
            };
            let todo: Vec<_> = done
                .iter()
                .filter(|h| match cp.rollback_state(&id, &h.name) {
                    Some(HostState::Ok) => false,
                    Some(HostState::InFlight) => rerun.contains(&h.name.as_str()),
                    _ => true,
                })
                .map(|h| (*h).clone())
                .collect();
            if todo.is_empty() {
                continue;
            }
            if self.opts.cancel.load(Ordering::SeqCst) {
                return self.interrupted();
            }
            let Some((_, failed)) = self.step_pass(idx, todo, Phase::Rollback).await else {
                return self.interrupted();
            };
            let ok = failed.is_empty();
            if !ok {
                let left = self.rollback_left(idx, &failed);
                return self.finish(RunOutcome::new("rollback-failed", Exit::NeedsHuman, format!(
                    "{reason}; rollback of step `{id}` failed on {}. Left undone (newest first): {}",
                    failed.join(", "),
                    left.join("; ")
                )));
            }
        }
        let o = RunOutcome::new(
            "rolled-back",
            Exit::FailedRolledBack,
            format!("{reason}; every completed step was rolled back"),
        );
        if finish_clean { self.finish(o) } else { o }
    }

    /// What a failed rollback leaves: the failing step's hosts and every older completed step.
    pub(super) fn rollback_left(&self, failed_idx: usize, failed: &[String]) -> Vec<String> {
        let cp = self.cp();
        let mut left = vec![format!(
            "{} on {}",
            self.plan.steps[failed_idx].step.id.value,
            failed.join(",")
        )];
        for idx in (0..failed_idx).rev() {
            let ps = &self.plan.steps[idx];
            if ps.step.rollback.is_none() {
                continue;
            }
            let hosts: Vec<&str> = ps
                .hosts
                .iter()
                .filter(|h| {
                    cp.forward_state(&ps.step.id.value, &h.name) == Some(HostState::Ok)
                        && cp.rollback_state(&ps.step.id.value, &h.name) != Some(HostState::Ok)
                })
                .map(|h| h.name.as_str())
                .collect();
            if !hosts.is_empty() {
                left.push(format!("{} on {}", ps.step.id.value, hosts.join(",")));
            }
        }
        left
    }
}
