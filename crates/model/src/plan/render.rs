//! A plan step's template context on one host, and rendering its templates there.

use std::collections::BTreeMap;

use minijinja::Value;

use crate::runbook::inventory::Host;
use crate::template::{self, Engine, HostVars, Mode};

use super::{BUILTIN_NAMES, Plan, PlanStep};

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
