//! Run-support helpers for a session: fencing a run whose lock was lost, the per-run
//! runtime, and pre-run checks (missing environment, `--rerun`/`--skip` decisions).

use std::path::Path;

use drctl_model::plan::Plan;

use super::SessionError;
use crate::ExecOptions;
/// A run stopped because its journal refused an append after the lock was lost (shared
/// state: the lease expired, another controller took over) ends fenced, not journal-failed.
pub(super) fn fenced(
    outcome: crate::RunOutcome,
    lock: &dyn drctl_core::store::RunLock,
    run_id: &str,
) -> crate::RunOutcome {
    match lock.lost() {
        Some(why) if outcome.outcome == drctl_core::Outcome::JournalFailed => {
            crate::RunOutcome::new(
                drctl_core::Outcome::Fenced,
                format!(
                    "fenced: another controller owns run {run_id} (this controller's lock at epoch {} is gone: {why}); nothing more was sent",
                    lock.epoch()
                ),
            )
        }
        _ => outcome,
    }
}

/// One multi-threaded runtime per run; blocking host jobs may be many (one per host).
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, SessionError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(1024)
        .build()
        .map_err(SessionError::Runtime)
}

pub(super) fn missing_env(plan: &Plan) -> Result<(), SessionError> {
    if plan.missing_env.is_empty() {
        return Ok(());
    }
    Err(SessionError::Usage {
        message: format!(
            "environment variable(s) not set: {}",
            plan.missing_env.join(", ")
        ),
        hint: Some("export them (secrets are never stored in runbooks)".into()),
    })
}

/// `--rerun`/`--skip STEP[@HOST]` must name a step of the plan and one of its hosts.
pub(super) fn check_decisions(plan: &Plan, opts: &ExecOptions) -> Result<(), SessionError> {
    for d in opts.rerun.iter().chain(&opts.skip) {
        let (step, host) = d
            .split_once('@')
            .map_or((d.as_str(), None), |(s, h)| (s, Some(h)));
        let Some(ps) = plan.steps.iter().find(|p| p.step.id.value == step) else {
            return Err(SessionError::Usage {
                message: format!("`{d}`: the runbook has no step `{step}`"),
                hint: Some("`drctl status RUN_ID` shows the steps and where they stand".into()),
            });
        };
        if let Some(host) = host
            && !ps.hosts.iter().any(|h| h.name == host)
        {
            return Err(SessionError::usage(format!(
                "`{d}`: step `{step}` does not run on `{host}`"
            )));
        }
    }
    Ok(())
}

pub(super) fn abs(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}
