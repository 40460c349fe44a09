//! Rendering the step for this host: its templates, whom it runs as (`become`), its
//! `when`, and its `check:` probe.

use drctl_model::plan::PlanStep;
use drctl_model::template::{Mode, Rendered};
use drctl_transport::{Become, CommandSpec, Secret};

use super::HostJob;

impl HostJob {
    pub(super) fn ps(&self) -> &PlanStep {
        &self.plan.steps[self.step]
    }

    pub(super) fn render_command(&self, src: &str) -> Result<Rendered, String> {
        self.plan.render_command(
            &self.engine,
            src,
            self.ps(),
            Some(&self.host),
            &self.captures,
        )
    }

    pub(super) fn render(&self, src: &str, mode: Mode) -> Result<String, String> {
        self.plan.render(
            &self.engine,
            src,
            mode,
            self.ps(),
            Some(&self.host),
            &self.captures,
            false,
        )
    }

    /// Whom the step runs as on this host (`become`), its password rendered (a secret
    /// var: masked wherever output is shown).
    pub(super) fn become_as(&self) -> Result<Option<Become>, String> {
        let Some(cfg) = drctl_model::runbook::become_keys::effective(&self.ps().step, &self.host)
        else {
            return Ok(None);
        };
        let password = match &cfg.password {
            None => None,
            Some(t) => Some(Secret::new(
                self.render(t, Mode::Text)
                    .map_err(|e| format!("become_password: {e}"))?,
            )),
        };
        Ok(Some(Become {
            user: cfg.user,
            method: cfg.method,
            password,
        }))
    }

    /// Is the step's `when` true on this host?
    pub fn when(&self) -> Result<bool, String> {
        match &self.ps().step.when {
            None => Ok(true),
            Some(w) => {
                let ctx = self
                    .plan
                    .context_for(self.ps(), Some(&self.host), &self.captures, false);
                self.engine
                    .eval_when(w, &ctx)
                    .map_err(|e| format!("`when` failed: {}", e.detail().unwrap_or("error")))
            }
        }
    }

    /// Run the step's `check:` on this host: whether its effect is in place. `Err` when
    /// the check itself could not tell (failed to run, timed out, template error).
    pub fn probe(&self) -> Result<bool, String> {
        let ps = self.ps();
        let Some(check) = &ps.step.check else {
            return Err("no check".into());
        };
        let cmd = self.render_command(&check.run.value)?;
        let mut env: Vec<(String, String)> = cmd.env.clone();
        env.push(("DRCTL_RUN_ID".into(), self.plan.run_id.clone()));
        env.push(("DRCTL_STEP_ID".into(), ps.step.id.value.clone()));
        env.push(("DRCTL_EPOCH".into(), self.epoch.to_string()));
        let spec = CommandSpec {
            command: cmd.text.clone(),
            env,
            timeout: ps.attempt_timeout.unwrap_or(ps.timeout),
        };
        let become_as = self.become_as()?;
        let o = self
            .pool
            .with(&self.host, |c| {
                c.set_become(become_as.as_ref())?;
                c.exec(&spec)
            })
            .map_err(|e| e.to_string())?;
        Ok(match &check.expect {
            Some(e) => e.failure(&o, true).is_none(),
            None => o.exit == 0,
        })
    }
}
