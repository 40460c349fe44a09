//! Resolving a runbook against an inventory into a plan: hosts, settings, loops and each
//! step's template context.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use minijinja::Value;

use crate::runbook::inventory::{Host, Inventory, LOCAL};
use crate::runbook::model::{Action, DrillMode, OnFailure, Runbook, Step, VarSource};
use crate::template::{MASK, Masker};

use super::{
    DEFAULT_INTERVAL, DEFAULT_TIMEOUT, LoopItem, Plan, PlanError, PlanOptions, PlanStep, RunMode,
};

/// A step once, or once per item of its `loop:` with the id `ID[item]`.
fn iterations(
    s: &Step,
    ctx: &BTreeMap<String, Value>,
) -> Result<Vec<(Step, Option<LoopItem>)>, PlanError> {
    let Some(l) = &s.looping else {
        return Ok(vec![(s.clone(), None)]);
    };
    let items: Vec<Value> = match &l.items {
        crate::runbook::model::LoopItems::List(items) => items
            .iter()
            .map(|i| Value::from(i.value.as_str()))
            .collect(),
        crate::runbook::model::LoopItems::Var(name) => {
            let v = ctx.get(&name.value).ok_or_else(|| PlanError::BadLoop {
                step: s.id.value.clone(),
                why: format!("no variable `{}`", name.value),
            })?;
            v.try_iter()
                .map_err(|_| PlanError::BadLoop {
                    step: s.id.value.clone(),
                    why: format!("`{}` is not a list", name.value),
                })?
                .collect()
        }
    };
    Ok(items
        .into_iter()
        .map(|item| {
            let mut one = s.clone();
            one.id.value = format!("{}[{item}]", s.id.value);
            (one, Some((l.var.value.clone(), item)))
        })
        .collect())
}

/// Resolve a runbook against an inventory. `getenv` looks up `{ env: NAME }` variables.
pub fn resolve(
    rb: Arc<Runbook>,
    inv: Inventory,
    opts: &PlanOptions,
    getenv: &dyn Fn(&str) -> Option<String>,
) -> Result<Plan, PlanError> {
    let mut ctx: BTreeMap<String, Value> = BTreeMap::new();
    let mut display: BTreeMap<String, Value> = BTreeMap::new();
    let mut secrets = Vec::new();
    let mut missing_env = Vec::new();
    for v in &rb.vars {
        let value = match &v.source {
            VarSource::Value(x) => Some(x.clone()),
            VarSource::Env { name, default } => {
                match getenv(&name.value).or_else(|| default.clone()) {
                    Some(s) => Some(Value::from(s)),
                    None => {
                        missing_env.push(name.value.clone());
                        None
                    }
                }
            }
        };
        let value = value.unwrap_or_else(|| Value::from(format!("<unset {}>", v.name.value)));
        if v.secret {
            secrets.push((v.name.value.clone(), value.to_string()));
            display.insert(v.name.value.clone(), Value::from(MASK));
        } else {
            display.insert(v.name.value.clone(), value.clone());
        }
        ctx.insert(v.name.value.clone(), value);
    }
    let secret_names: Vec<&str> = rb
        .vars
        .iter()
        .filter(|v| v.secret)
        .map(|v| v.name.value.as_str())
        .collect();
    for (k, v) in &opts.extra_vars {
        ctx.insert(k.clone(), Value::from(v.as_str()));
        if secret_names.contains(&k.as_str()) {
            secrets.push((k.clone(), v.clone()));
            display.insert(k.clone(), Value::from(MASK));
        } else {
            display.insert(k.clone(), Value::from(v.as_str()));
        }
    }
    let groups: BTreeMap<String, Value> = inv
        .groups
        .iter()
        .map(|(g, hs)| (g.clone(), Value::from(hs.join(","))))
        .collect();
    for m in [&mut ctx, &mut display] {
        m.insert("name".into(), Value::from(rb.name.as_str()));
        m.insert("kind".into(), Value::from(rb.kind.as_str()));
        m.insert("mode".into(), Value::from(opts.mode.as_str()));
        m.insert("run_id".into(), Value::from(opts.run_id.as_str()));
        m.insert(
            "severity".into(),
            Value::from(rb.severity.clone().unwrap_or_default()),
        );
        m.insert("groups".into(), Value::from_pairs(groups.clone()));
    }
    let hosts_ctx = crate::runbook::inventory_vars::hosts_context(&inv);
    for m in [&mut ctx, &mut display] {
        m.insert("hosts".into(), hosts_ctx.clone());
    }
    let allowed = match &opts.limit {
        None => None,
        Some(values) => {
            Some(
                crate::limit::select(&inv, values).map_err(|e| PlanError::UnknownLimit {
                    name: e.pattern,
                    hint: e.hint,
                })?,
            )
        }
    };
    let mut emptied = Vec::new();
    let d = &rb.defaults;
    let mut steps = Vec::new();
    for declared in &rb.steps {
        for (s, item) in iterations(declared, &ctx)? {
            let s = &s;
            let mut hosts: Vec<Host> = Vec::new();
            let mut targeted = false;
            for t in &s.on {
                let names = inv
                    .resolve(&t.value)
                    .ok_or_else(|| PlanError::UnknownTarget {
                        file: rb.file.display().to_string(),
                        line: t.span.line,
                        col: t.span.col,
                        name: t.value.clone(),
                    })?;
                for n in names {
                    targeted = true;
                    let keep = n == LOCAL || allowed.as_ref().is_none_or(|a| a.contains(&n));
                    if keep && !hosts.iter().any(|h| h.name == n) {
                        hosts.push(inv.hosts[&n].clone());
                    }
                }
            }
            let st = &s.settings;
            let (command, skipped_by_mode) = match (&s.action, &s.drill, opts.mode) {
                (_, DrillMode::Skip, RunMode::Drill) => (None, true),
                (Action::Run(_), DrillMode::Replace(r), RunMode::Drill) => {
                    (Some(r.value.clone()), false)
                }
                (Action::Run(c), _, _) => (Some(c.value.clone()), false),
                _ => (None, false),
            };
            if targeted
                && hosts.is_empty()
                && allowed.is_some()
                && !skipped_by_mode
                && !emptied.contains(&declared.id.value)
            {
                emptied.push(declared.id.value.clone());
            }
            steps.push(PlanStep {
                timeout: st.timeout.or(d.timeout).unwrap_or(DEFAULT_TIMEOUT),
                on_failure: st
                    .on_failure
                    .or(d.on_failure)
                    .unwrap_or(OnFailure::Rollback),
                retries: st.retries.or(d.retries).unwrap_or(0),
                retry_delay: st
                    .retry_delay
                    .or(d.retry_delay)
                    .unwrap_or(Duration::from_secs(1)),
                interval: st.interval.or(d.interval).unwrap_or(DEFAULT_INTERVAL),
                idempotent: st.idempotent.or(d.idempotent).unwrap_or(false),
                attempt_timeout: st.attempt_timeout.or(d.attempt_timeout),
                max_interval: st.max_interval.or(d.max_interval),
                point_of_no_return: s.point_of_no_return.as_ref().is_some_and(|p| p.value),
                item,
                deps: Vec::new(),
                serial: st.serial.or(d.serial).map(|x| x.limit(hosts.len())),
                step: s.clone(),
                hosts,
                command,
                skipped_by_mode,
            });
        }
    }
    if !emptied.is_empty() {
        return Err(PlanError::LimitEmptiesStep {
            limit: opts.limit.clone().unwrap_or_default().join(","),
            steps: emptied,
        });
    }
    // Dependencies: `needs:` names declared steps (every iteration of a loop); a step
    // without it waits for the one before it.
    for i in 0..steps.len() {
        let needs = &steps[i].step.needs;
        let deps: Vec<usize> = if needs.is_empty() {
            i.checked_sub(1).into_iter().collect()
        } else {
            (0..steps.len())
                .filter(|&j| {
                    let id = &steps[j].step.id.value;
                    needs.iter().any(|n| {
                        *id == n.value
                            || id
                                .strip_prefix(n.value.as_str())
                                .is_some_and(|r| r.starts_with('['))
                    })
                })
                .collect()
        };
        steps[i].deps = deps;
    }
    Ok(Plan {
        runbook: rb,
        inventory: inv,
        mode: opts.mode,
        run_id: opts.run_id.clone(),
        steps,
        context: ctx,
        display_context: display,
        masker: Masker::named(secrets),
        missing_env,
        extra_names: opts.extra_vars.keys().cloned().collect(),
    })
}
