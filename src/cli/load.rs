//! Turn `TargetArgs` into a checked, resolved plan, or exit 2 with every diagnostic.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;

use crate::diagnostic::Severity;
use crate::error::Failure;
use crate::plan::{self, Plan, PlanOptions, RunMode};
use crate::runbook::load_runbook;
use crate::validate::{InventoryCache, check_runbook};

use super::args::TargetArgs;

/// Parse `-e NAME=VALUE` pairs.
pub fn parse_vars(vars: &[String]) -> Result<BTreeMap<String, String>, Failure> {
    vars.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(Failure::usage(format!("-e expects NAME=VALUE, got `{kv}`"))),
        })
        .collect()
}

/// Load, validate and resolve. Warnings are printed; errors stop with exit 2.
/// `run_id` names the run from the runbook's name (a new id, or the one being resumed).
pub fn load_plan(
    t: &TargetArgs,
    mode: RunMode,
    run_id: impl FnOnce(&str) -> String,
) -> Result<Plan, Failure> {
    let extra = parse_vars(&t.vars)?;
    let (rb, mut diags) = load_runbook(&t.runbook);
    let mut inv = None;
    if let Some(rb) = &rb {
        let mut cache = InventoryCache::default();
        inv = cache.for_runbook(rb, t.inventory.as_deref(), &mut diags);
        let names = extra.keys().cloned().collect();
        check_runbook(rb, inv.as_ref(), &names, &mut diags);
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    for d in &diags {
        eprintln!("{}\n", d.render(color));
    }
    let Some(rb) = rb.filter(|_| errors == 0) else {
        return Err(Failure::usage(format!(
            "{}: {errors} error(s); nothing was executed",
            t.runbook.display()
        ))
        .hint(format!(
            "run `drctl validate {}` for details",
            t.runbook.display()
        )));
    };
    let opts = PlanOptions {
        mode,
        run_id: run_id(&rb.name),
        limit: t.limit.clone(),
        extra_vars: extra,
    };
    plan::resolve(Arc::new(rb), inv.unwrap_or_default(), &opts, &|k| {
        std::env::var(k).ok()
    })
}
