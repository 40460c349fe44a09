//! Rollback: the `rollback` of every completed step, newest first, on exactly the hosts
//! where it succeeded; journaled, resumable, and stopping at the first failure.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use drctl_core::checkpoint::HostState;
use drctl_core::events::Event;
use drctl_core::record::Record;
use drctl_core::time::t;
use drctl_core::{Outcome, Phase};

use super::{RollbackEnd, Runner};
use crate::RunOutcome;

impl Runner {
    /// Undo every completed step, newest first, on exactly the hosts where it succeeded.
    pub async fn rollback_all(self: &Arc<Self>, reason: String) -> RunOutcome {
        self.rollback_steps(reason, RollbackEnd::FinishRun).await
    }

    /// `drctl rollback`: like [`Self::rollback_all`], journaled as asked for by the operator,
    /// so a clean end is `rolled-back-on-request` (exit 0) rather than a failed run's
    /// `rolled-back` (exit 1). Continuing a rollback a failure began keeps the failure's word.
    pub async fn rollback_requested(self: &Arc<Self>, reason: String) -> RunOutcome {
        if self.cp().rollback_begun.is_none()
            && let Err(e) = self.record(Record::RollbackBegin {
                t: t(),
                reason: reason.clone(),
                requested: true,
            })
        {
            return self.journal_failed(e);
        }
        self.rollback_all(reason).await
    }

    /// Roll back; a clean result is journaled as the run's end only with `FinishRun`.
    pub(super) async fn rollback_steps(
        self: &Arc<Self>,
        reason: String,
        end: RollbackEnd,
    ) -> RunOutcome {
        if self.cp().rollback_begun.is_none()
            && let Err(e) = self.record(Record::RollbackBegin {
                t: t(),
                reason: reason.clone(),
                requested: false,
            })
        {
            return self.journal_failed(e);
        }
        self.sinks.event(&Event::RollbackStarted {
            reason: reason.clone(),
        });
        for idx in self.rollback_order() {
            let ps = &self.plan.steps[idx];
            let id = ps.step.id.value.clone();
            if let Some(o) = self.point_of_no_return(idx, &reason) {
                return o;
            }
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
            let checked = self.probe_in_flight(idx, &in_flight, Phase::Rollback).await;
            let rerun = match self.settle_in_flight(
                &id,
                ps.idempotent,
                &in_flight,
                Phase::Rollback,
                &checked,
            ) {
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
            let (results, failed) = match self.step_pass(idx, todo, Phase::Rollback).await {
                Ok(Some(r)) => r,
                Ok(None) => return self.interrupted(),
                Err(o) => return o,
            };
            if let Some(o) = self.in_doubt(&id, &results, Phase::Rollback) {
                return o;
            }
            let ok = failed.is_empty();
            if !ok {
                let left = self.rollback_left(idx, &failed);
                return self.finish(RunOutcome::new(Outcome::RollbackFailed, format!(
                    "{reason}; rollback of step `{id}` failed on {}. Left undone (newest first): {}",
                    failed.join(", "),
                    left.join("; ")
                )));
            }
        }
        let o = RunOutcome::new(
            if self.cp().rollback_requested {
                Outcome::RolledBackOnRequest
            } else {
                Outcome::RolledBack
            },
            format!("{reason}; every completed step was rolled back"),
        );
        match end {
            RollbackEnd::FinishRun => self.finish(o),
            RollbackEnd::HandBack => o,
        }
    }

    /// Steps newest first: by the order they ended (steps that never ended, left in flight,
    /// count as the newest), which is the plan's order when steps run one after another.
    fn rollback_order(&self) -> Vec<usize> {
        let cp = self.cp();
        let mut order: Vec<usize> = (0..self.plan.steps.len()).collect();
        order.sort_by_key(|&i| {
            let id = &self.plan.steps[i].step.id.value;
            (
                cp.completed
                    .iter()
                    .position(|c| c == id)
                    .unwrap_or(usize::MAX),
                i,
            )
        });
        order.reverse();
        order
    }

    /// At a point of no return that succeeded (and ran its real command): stop, unless the
    /// operator said to cross it.
    fn point_of_no_return(&self, idx: usize, reason: &str) -> Option<RunOutcome> {
        let ps = &self.plan.steps[idx];
        let id = &ps.step.id.value;
        let rehearsed = self.plan.mode == drctl_core::RunMode::Drill
            && !matches!(ps.step.drill, drctl_model::runbook::model::DrillMode::Run);
        let crossed = ps
            .hosts
            .iter()
            .any(|h| self.cp().forward_state(id, &h.name) == Some(HostState::Ok));
        if !ps.point_of_no_return
            || rehearsed
            || !crossed
            || self.opts.no_return == crate::NoReturn::Cross
        {
            return None;
        }
        let run = &self.plan.run_id;
        Some(self.finish(RunOutcome::new(
            Outcome::StoppedAtPointOfNoReturn,
            format!(
                "{reason}; rolled back the steps after `{id}`, the point of no return, and stopped there: `{id}` and the steps before it stand. A human decides: `drctl rollback {run} --cross-point-of-no-return` undoes them too"
            ),
        )))
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
