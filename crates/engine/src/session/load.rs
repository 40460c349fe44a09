//! Load, validate and resolve a runbook into a plan. Diagnostics come back to the caller
//! (warnings with the plan, errors instead of it); nothing here prints.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use drctl_core::RunMode;
use drctl_model::diagnostic::{Diagnostic, Severity};
use drctl_model::plan::{self, Plan, PlanOptions};
use drctl_model::runbook::load_runbook;
use drctl_model::validate::{InventoryCache, check_runbook};

use super::SessionError;

/// What to run: a runbook, its inventory, `-e` values and `--limit`, already parsed.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub runbook: PathBuf,
    pub inventory: Option<PathBuf>,
    pub vars: BTreeMap<String, String>,
    pub limit: Option<Vec<String>>,
}

/// A resolved plan and the warnings found on the way.
#[derive(Debug)]
pub struct LoadedPlan {
    pub plan: Plan,
    pub warnings: Vec<Diagnostic>,
}

/// Parse `-e NAME=VALUE` pairs.
pub fn parse_vars(vars: &[String]) -> Result<BTreeMap<String, String>, SessionError> {
    vars.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(SessionError::usage(format!(
                "-e expects NAME=VALUE, got `{kv}`"
            ))),
        })
        .collect()
}

/// Load, validate and resolve. `run_id` names the run from the runbook's name (a new id,
/// or the one being resumed). Errors carry every diagnostic.
pub fn load_plan(
    t: &Target,
    mode: RunMode,
    run_id: impl FnOnce(&str) -> String,
) -> Result<LoadedPlan, SessionError> {
    let (rb, mut diags) = load_runbook(&t.runbook);
    let mut inv = None;
    if let Some(rb) = &rb {
        let mut cache = InventoryCache::default();
        inv = cache.for_runbook(rb, t.inventory.as_deref(), &mut diags);
        let names = t.vars.keys().cloned().collect();
        check_runbook(rb, inv.as_ref(), &names, &mut diags);
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let Some(rb) = rb.filter(|_| errors == 0) else {
        return Err(SessionError::Invalid {
            file: t.runbook.display().to_string(),
            errors,
            diagnostics: diags,
        });
    };
    let opts = PlanOptions {
        mode,
        run_id: run_id(&rb.name),
        limit: t.limit.clone(),
        extra_vars: t.vars.clone(),
    };
    let plan = plan::resolve(Arc::new(rb), inv.unwrap_or_default(), &opts, &|k| {
        std::env::var(k).ok()
    })?;
    Ok(LoadedPlan {
        plan,
        warnings: diags,
    })
}
