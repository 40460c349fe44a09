//! The resolved plan: every step with its hosts, settings and templates' context. Pure:
//! it reads no files and touches no host (environment lookups are passed in).

mod render;
mod resolve;
#[cfg(test)]
mod tests;

pub use resolve::resolve;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use minijinja::Value;

use crate::runbook::inventory::{Host, Inventory};
use crate::runbook::model::{OnFailure, Runbook, Step};
use crate::template::Masker;

/// Per-command timeout when neither the step nor `defaults` sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// Polling interval for `until` when none is set.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// Whether steps really run or rehearse.
pub use drctl_core::RunMode;

/// Why a runbook could not be resolved into a plan.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlanError {
    #[error("--limit pattern `{name}` matches no host or group")]
    UnknownLimit { name: String, hint: String },
    #[error("--limit {limit} leaves no host for step{} {}", if steps.len() > 1 { "s" } else { "" }, steps.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "))]
    LimitEmptiesStep { limit: String, steps: Vec<String> },
    #[error("step `{step}`: cannot loop: {why}")]
    BadLoop { step: String, why: String },
    #[error("{file}:{line}:{col}: unknown host or group `{name}`")]
    UnknownTarget {
        file: String,
        line: usize,
        col: usize,
        name: String,
    },
}

impl PlanError {
    /// What the operator can do about it.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Self::UnknownLimit { hint, .. } => Some(hint),
            Self::LimitEmptiesStep { .. } => {
                Some("widen --limit to a host of each of these steps (nothing was run)")
            }
            Self::UnknownTarget { .. } | Self::BadLoop { .. } => None,
        }
    }
}

/// What the caller decided, already checked.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub mode: RunMode,
    pub run_id: String,
    /// `--limit` patterns (see [`crate::limit`]); `local` is never limited away.
    pub limit: Option<Vec<String>>,
    /// `-e k=v`, highest precedence.
    pub extra_vars: BTreeMap<String, String>,
}

/// One step, resolved.
#[derive(Debug, Clone)]
pub struct PlanStep {
    pub step: Step,
    pub hosts: Vec<Host>,
    pub timeout: Duration,
    pub on_failure: OnFailure,
    pub retries: u32,
    pub retry_delay: Duration,
    pub interval: Duration,
    pub idempotent: bool,
    /// `until`: the limit of one poll; `None`: what is left of the step's timeout.
    pub attempt_timeout: Option<Duration>,
    /// `until`: polls back off from `interval` doubling up to this; `None`: fixed interval.
    pub max_interval: Option<Duration>,
    /// Once it succeeded, rollback never crosses this step.
    pub point_of_no_return: bool,
    /// A loop's iteration: the item's name in templates and its value (the step's id is
    /// then `ID[item]`).
    pub item: Option<LoopItem>,
    /// The plan steps (indices) this one waits for: its `needs:`, else the step before it.
    pub deps: Vec<usize>,
    /// At most this many hosts at a time (before `--forks`).
    pub serial: Option<usize>,
    /// The command run under this mode (drill replacement applied); `None` for gates and transfers.
    pub command: Option<String>,
    /// Skipped in this mode (`drill: skip` under drill).
    pub skipped_by_mode: bool,
}

/// A resolved runbook.
#[derive(Debug, Clone)]
pub struct Plan {
    pub runbook: Arc<Runbook>,
    pub inventory: Inventory,
    pub mode: RunMode,
    pub run_id: String,
    pub steps: Vec<PlanStep>,
    /// Template context shared by all steps (real values).
    pub context: BTreeMap<String, Value>,
    /// The same with secrets replaced by the mask, for anything shown.
    pub display_context: BTreeMap<String, Value>,
    pub masker: Masker,
    /// Environment variables that secrets or vars need but are not set.
    pub missing_env: Vec<String>,
    /// Names given with `-e`: inventory variables never override them.
    pub extra_names: Vec<String>,
}

/// Names the template context defines itself; an inventory variable never shadows them.
const BUILTIN_NAMES: &[&str] = &[
    "name", "kind", "mode", "run_id", "severity", "step", "groups", "host", "hosts",
];

/// A loop's item: its name in templates and its value.
type LoopItem = (String, Value);
