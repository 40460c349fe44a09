//! The resolved plan: every step with its hosts, settings and templates' context. Pure:
//! it reads no files and touches no host (environment lookups are passed in).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use minijinja::Value;

use crate::runbook::inventory::{Host, Inventory, LOCAL};
use crate::runbook::model::{Action, DrillMode, OnFailure, Runbook, Step, VarSource};
use crate::template::{self, Engine, HostVars, MASK, Masker, Mode};

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

impl Plan {
    /// The template context for a step on a host (or on no host, for gates).
    pub fn context_for(
        &self,
        step: &PlanStep,
        host: Option<&Host>,
        captures: &BTreeMap<String, String>,
        masked: bool,
    ) -> Value {
        let mut base = if masked {
            self.display_context.clone()
        } else {
            self.context.clone()
        };
        base.insert("step".into(), Value::from(step.step.id.value.as_str()));
        if let Some(h) = host
            && let Some(vars) = self.inventory.vars.get(&h.name)
        {
            // Inventory variables beat the runbook's `vars:`, never `-e` nor built-in names.
            for (k, v) in vars {
                if !self.extra_names.contains(k) && !BUILTIN_NAMES.contains(&k.as_str()) {
                    base.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some((name, value)) = &step.item {
            base.insert(name.clone(), value.clone());
        }
        let hv = host.map(|h| HostVars {
            name: h.name.clone(),
            addr: h.addr.clone(),
            port: h.port,
            user: h.user.clone(),
        });
        template::context(&base, hv.as_ref(), captures)
    }

    /// Render a command to run on a host: values travel as its environment (see
    /// [`template::Rendered`]); an error's text has secrets masked.
    pub fn render_command(
        &self,
        engine: &Engine,
        src: &str,
        step: &PlanStep,
        host: Option<&Host>,
        captures: &BTreeMap<String, String>,
    ) -> Result<template::Rendered, String> {
        let ctx = self.context_for(step, host, captures, false);
        engine.render_command(src, &ctx).map_err(|e| {
            let msg = e
                .detail()
                .map(str::to_string)
                .unwrap_or_else(|| e.to_string());
            self.masker.mask(&msg)
        })
    }

    /// Render a template for a step and host.
    #[allow(clippy::too_many_arguments)]
    pub fn render(
        &self,
        engine: &Engine,
        src: &str,
        mode: Mode,
        step: &PlanStep,
        host: Option<&Host>,
        captures: &BTreeMap<String, String>,
        masked: bool,
    ) -> Result<String, String> {
        let ctx = self.context_for(step, host, captures, masked);
        engine.render(src, mode, &ctx).map_err(|e| {
            let msg = e
                .detail()
                .map(str::to_string)
                .unwrap_or_else(|| e.to_string());
            self.masker.mask(&msg)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::inventory::parse_inventory;
    use crate::runbook::parse::parse_runbook;
    use crate::runbook::source::SourceFile;

    const INV: &str = "hosts:\n  db1: { addr: 192.0.2.1 }\n  db2: { addr: 192.0.2.2, port: 2200 }\ngroups:\n  dbs: [db1, db2]\n";
    const RB: &str = r#"drctl: 1
kind: failover
name: t
vars:
  token: { env: TOKEN, secret: true }
  site: east
defaults:
  timeout: 2m
  on_failure: abort
steps:
  - id: check
    on: dbs
    run: echo {{ site }} {{ token }}
    drill: echo rehearsal
  - id: notify
    on: local
    run: echo done
    timeout: 5s
    on_failure: continue
  - id: wipe
    on: db2
    run: rm -rf /tmp/x
    drill: skip
"#;

    fn resolve_with(mode: RunMode, limit: Option<&[&str]>) -> Result<Plan, PlanError> {
        let (rb, diags) = parse_runbook(&SourceFile::new("/t/rb.yaml", RB));
        let rb = rb.unwrap_or_else(|| panic!("{diags:?}"));
        let (inv, diags) = parse_inventory(&SourceFile::new("/t/inv.yaml", INV));
        assert!(diags.is_empty(), "{diags:?}");
        let opts = PlanOptions {
            mode,
            run_id: "t-1".into(),
            limit: limit.map(|l| l.iter().map(|s| s.to_string()).collect()),
            extra_vars: [("site".to_string(), "west".to_string())].into(),
        };
        resolve(Arc::new(rb), inv, &opts, &|k| {
            (k == "TOKEN").then(|| "s3cr3t".to_string())
        })
    }

    #[test]
    fn defaults_apply_and_steps_keep_their_own_settings() {
        let p = resolve_with(RunMode::Run, None).unwrap();
        let names =
            |i: usize| -> Vec<&str> { p.steps[i].hosts.iter().map(|h| h.name.as_str()).collect() };
        assert_eq!(names(0), ["db1", "db2"]);
        assert_eq!(p.steps[0].timeout, Duration::from_secs(120));
        assert_eq!(p.steps[0].on_failure, OnFailure::Abort);
        assert_eq!(p.steps[1].timeout, Duration::from_secs(5));
        assert_eq!(p.steps[1].on_failure, OnFailure::Continue);
        assert_eq!(p.steps[0].hosts[1].port, 2200);
        assert!(!p.steps[2].skipped_by_mode);
    }

    #[test]
    fn secrets_are_real_for_commands_and_masked_for_display() {
        let p = resolve_with(RunMode::Run, None).unwrap();
        assert_eq!(p.context["token"].to_string(), "s3cr3t");
        assert_eq!(p.display_context["token"].to_string(), MASK);
        assert_eq!(p.context["site"].to_string(), "west", "-e wins");
        assert_eq!(p.masker.mask("token=s3cr3t"), format!("token={MASK}"));
        assert!(p.missing_env.is_empty());
    }

    #[test]
    fn inventory_vars_sit_between_runbook_vars_and_e_and_hosts_name_every_host() {
        let (rb, _) = parse_runbook(&SourceFile::new("/t/rb.yaml", RB));
        let inv = "hosts:\n  db1: { addr: 192.0.2.1, vars: { site: host, pg: '5433' } }\n  db2: { addr: 192.0.2.2, port: 2200 }\ngroups:\n  dbs: { hosts: [db1, db2], vars: { pg: '5432', token: grp } }\n";
        let (inv, d) = parse_inventory(&SourceFile::new("/t/inv.yaml", inv));
        assert!(d.is_empty(), "{d:?}");
        let opts = PlanOptions {
            mode: RunMode::Run,
            run_id: "t-1".into(),
            limit: None,
            extra_vars: [("site".to_string(), "cli".to_string())].into(),
        };
        let p = resolve(Arc::new(rb.unwrap()), inv, &opts, &|_| None).unwrap();
        let e = Engine::default();
        let st = &p.steps[0];
        let render = |h: usize, src: &str| {
            p.render(
                &e,
                src,
                Mode::Text,
                st,
                Some(&st.hosts[h]),
                &BTreeMap::new(),
                false,
            )
            .unwrap()
        };
        assert_eq!(render(0, "{{ site }} {{ pg }} {{ token }}"), "cli 5433 grp");
        assert_eq!(render(1, "{{ site }} {{ pg }}"), "cli 5432");
        assert_eq!(
            render(
                0,
                "{{ hosts.db2.addr }}:{{ hosts.db2.port }} {{ hosts.db1.vars.pg }}"
            ),
            "192.0.2.2:2200 5433"
        );
    }

    #[test]
    fn drill_mode_replaces_and_skips_commands() {
        let p = resolve_with(RunMode::Drill, None).unwrap();
        assert_eq!(p.steps[0].command.as_deref(), Some("echo rehearsal"));
        assert!(p.steps[2].skipped_by_mode);
        assert_eq!(p.context["mode"].to_string(), "drill");
    }

    #[test]
    fn limit_keeps_local_and_unknown_names_are_refused_with_a_hint() {
        let p = resolve_with(RunMode::Run, Some(&["db*", "!db1"])).unwrap();
        assert_eq!(p.steps[0].hosts.len(), 1);
        assert_eq!(p.steps[0].hosts[0].name, "db2");
        assert_eq!(
            p.steps[1].hosts[0].name, LOCAL,
            "--limit never removes local"
        );
        let e = resolve_with(RunMode::Run, Some(&["db1"])).unwrap_err();
        assert!(
            matches!(&e, PlanError::LimitEmptiesStep { steps, .. } if steps == &["wipe"]),
            "{e:?}"
        );
        assert!(e.to_string().contains("step `wipe`"), "{e}");
        let p = resolve_with(RunMode::Drill, Some(&["db1"])).unwrap();
        assert!(
            p.steps[2].hosts.is_empty(),
            "a step drill skips may lose its hosts"
        );
        let e = resolve_with(RunMode::Run, Some(&["db9"])).unwrap_err();
        assert!(matches!(&e, PlanError::UnknownLimit { name, .. } if name == "db9"));
        assert!(e.hint().is_some());
    }
}
