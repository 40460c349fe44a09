//! One step on one host: render, run (with retries, `until` polling, timeouts), check
//! `expect`, capture. Blocking; the engine runs it off the async runtime.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use drctl_core::Phase;
use drctl_model::plan::{Plan, PlanStep};
use drctl_model::runbook::inventory::{Host, resolve_path};
use drctl_model::runbook::model::{Action, Check};
use drctl_model::template::{Engine, Mode, Rendered};
use drctl_transport::{Become, CommandSpec, Output, Secret, TransportError};

use super::pool::Pool;

/// What happened on the host.
#[derive(Debug, Clone, Default)]
pub struct HostOutcome {
    pub ok: bool,
    pub skipped: bool,
    pub exit: Option<i32>,
    pub attempts: u32,
    pub stdout: String,
    pub stderr: String,
    pub error: Option<String>,
    pub captured: Option<(String, String)>,
    pub host_key_refused: bool,
    /// The connection dropped while the command ran: its outcome is unknown.
    pub in_doubt: bool,
    /// The command as sent (secrets not yet masked).
    pub command: String,
    /// The transport's digest of the whole output (empty: computed from the texts).
    pub digest: String,
    /// Bytes stdout really had (its text keeps only both ends of a long one).
    pub stdout_len: u64,
}

impl HostOutcome {
    /// The journal's digest of the output (see `drctl_transport::capture::digest`).
    pub fn digest(&self) -> String {
        if self.digest.is_empty() {
            drctl_transport::capture::digest(
                &drctl_transport::sha256_hex(self.stdout.as_bytes()),
                &drctl_transport::sha256_hex(self.stderr.as_bytes()),
            )
        } else {
            self.digest.clone()
        }
    }
}

/// Everything a host job needs.
pub struct HostJob {
    pub plan: Arc<Plan>,
    pub step: usize,
    pub host: Host,
    pub phase: Phase,
    pub captures: BTreeMap<String, String>,
    pub pool: Arc<Pool>,
    pub engine: Arc<Engine>,
    pub cancel: Arc<AtomicBool>,
    /// The run lock's fencing epoch (`DRCTL_EPOCH`).
    pub epoch: u64,
}

impl HostJob {
    fn ps(&self) -> &PlanStep {
        &self.plan.steps[self.step]
    }

    fn render_command(&self, src: &str) -> Result<Rendered, String> {
        self.plan.render_command(
            &self.engine,
            src,
            self.ps(),
            Some(&self.host),
            &self.captures,
        )
    }

    fn render(&self, src: &str, mode: Mode) -> Result<String, String> {
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
    fn become_as(&self) -> Result<Option<Become>, String> {
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

    /// Run the job to completion.
    pub fn run(&self) -> HostOutcome {
        let ps = self.ps();
        if self.phase == Phase::Rollback {
            let Some(rb) = &ps.step.rollback else {
                return HostOutcome {
                    ok: true,
                    skipped: true,
                    ..Default::default()
                };
            };
            return match self.render_command(rb) {
                Ok(cmd) => self.exec_once(&cmd, ps.timeout, None, 1),
                Err(e) => fail(format!("template error in rollback: {e}")),
            };
        }
        match &ps.step.action {
            Action::Run(_) => {
                let Some(src) = &ps.command else {
                    return HostOutcome {
                        ok: true,
                        skipped: true,
                        ..Default::default()
                    };
                };
                match self.render_command(src) {
                    Ok(cmd) => self.run_command(&cmd),
                    Err(e) => fail(format!("template error: {e}")),
                }
            }
            Action::Upload(t) | Action::Download(t) => {
                let upload = matches!(ps.step.action, Action::Upload(_));
                let (src, dest) = match (
                    self.render(&t.src, Mode::Text),
                    self.render(&t.dest, Mode::Text),
                ) {
                    (Ok(s), Ok(d)) => (s, d),
                    (Err(e), _) | (_, Err(e)) => return fail(format!("template error: {e}")),
                };
                for (field, template, path) in
                    [("src", &t.src.value, &src), ("dest", &t.dest.value, &dest)]
                {
                    if let Err(why) = contained(template, path) {
                        return fail(format!("`{field}` {path:?}: {why}"));
                    }
                }
                // Paths are relative to the file the step is written in (an included file too).
                let base = ps.step.file.dir().to_path_buf();
                // A local file the download replaces: say so, and keep its mode.
                let replaced = (!upload)
                    .then(|| std::fs::metadata(resolve_path(&dest, &base)).ok())
                    .flatten()
                    .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777);
                let command = format!(
                    "{} {src} -> {dest}",
                    if upload { "upload" } else { "download" }
                );
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    if attempts > 1 {
                        self.pool.redial(&self.host.name);
                    }
                    let t0 = Instant::now();
                    let res = self.plan_pool_transfer(upload, &src, &dest, t.mode, &base);
                    match res {
                        Ok(r) => {
                            let mut stdout = transfer_line(upload, &r, t0.elapsed());
                            if let Some(mode) = replaced {
                                let local = resolve_path(&dest, &base);
                                let kept = std::fs::set_permissions(
                                    &local,
                                    std::os::unix::fs::PermissionsExt::from_mode(mode),
                                );
                                stdout.push_str(&format!(
                                    "; replaced the existing local file {} ({})",
                                    local.display(),
                                    match kept {
                                        Ok(()) => format!("mode {mode:o} kept"),
                                        Err(e) => format!("mode not kept: {e}"),
                                    }
                                ));
                            }
                            return HostOutcome {
                                ok: true,
                                attempts,
                                exit: Some(0),
                                stdout,
                                command,
                                ..Default::default()
                            };
                        }
                        Err(e) if attempts > ps.retries || self.cancel.load(Ordering::SeqCst) => {
                            let mut o = fail(e.to_string());
                            o.attempts = attempts;
                            o.host_key_refused = e.is_host_key();
                            o.command = command;
                            return o;
                        }
                        Err(_) => std::thread::sleep(ps.retry_delay),
                    }
                }
            }
            Action::Approve(_) => HostOutcome {
                ok: true,
                skipped: true,
                ..Default::default()
            },
        }
    }

    fn plan_pool_transfer(
        &self,
        upload: bool,
        src: &str,
        dest: &str,
        mode: Option<u32>,
        base: &Path,
    ) -> Result<drctl_transport::TransferResult, TransportError> {
        let timeout = self.ps().timeout;
        let become_as = self.become_as().map_err(|msg| TransportError::Become {
            host: self.host.name.clone(),
            how: "become".into(),
            msg,
        })?;
        if upload {
            let local = resolve_path(src, base);
            self.pool.with(&self.host, |c| {
                c.set_become(become_as.as_ref())?;
                c.upload(&local, dest, mode.unwrap_or(0o644), timeout)
            })
        } else {
            let local = resolve_path(dest, base);
            self.pool.with(&self.host, |c| {
                c.set_become(become_as.as_ref())?;
                c.download(src, &local, timeout)
            })
        }
    }

    /// `run:` with retries and `until` polling.
    fn run_command(&self, cmd: &Rendered) -> HostOutcome {
        let ps = self.ps();
        let mut attempts = 0;
        loop {
            attempts += 1;
            if attempts > 1 {
                // A retry dials a host that could not be reached again.
                self.pool.redial(&self.host.name);
            }
            let out = match &ps.step.until {
                Some(until) => self.poll(cmd, until, attempts),
                None => self.exec_once(cmd, ps.timeout, ps.step.expect.as_ref(), attempts),
            };
            if out.ok
                || out.host_key_refused
                || out.in_doubt
                || attempts > ps.retries
                || self.cancel.load(Ordering::SeqCst)
            {
                return out;
            }
            std::thread::sleep(ps.retry_delay);
        }
    }

    fn poll(&self, cmd: &Rendered, until: &Check, attempts: u32) -> HostOutcome {
        let ps = self.ps();
        let deadline = Instant::now() + ps.timeout;
        let mut polls = 0u32;
        let mut pause = ps.interval;
        loop {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(100));
            // One stuck poll may not eat the whole window: `attempt_timeout` bounds each.
            let left = ps.attempt_timeout.map_or(left, |a| a.min(left));
            if polls > 0 {
                self.pool.redial(&self.host.name);
            }
            polls += 1;
            let mut o = self.exec_once(cmd, left, None, attempts);
            if o.in_doubt {
                return o;
            }
            if o.host_key_refused
                || o.error.as_deref().is_some_and(|e| e.contains("timed out"))
                    && Instant::now() >= deadline
            {
                return o;
            }
            let output = Output {
                exit: o.exit.unwrap_or(-1),
                stdout: o.stdout.clone(),
                stderr: o.stderr.clone(),
                stdout_len: o.stdout_len,
                ..Default::default()
            };
            let why = if o.exit.is_some() {
                until.failure(
                    &output,
                    until.stdout.is_none() && until.contains.is_none() && until.regex.is_none(),
                )
            } else {
                o.error.clone()
            };
            match why {
                None => {
                    if let Some(exp) = &ps.step.expect
                        && let Some(w) = exp.failure(&output, true)
                    {
                        o.ok = false;
                        o.error = Some(format!("expect not met: {w}"));
                        return o;
                    }
                    match self.capture(&output) {
                        Ok(c) => {
                            o.ok = true;
                            o.error = None;
                            o.captured = c;
                        }
                        Err(e) => {
                            o.ok = false;
                            o.error = Some(e);
                        }
                    }
                    return o;
                }
                Some(w) => {
                    if Instant::now() + pause >= deadline || self.cancel.load(Ordering::SeqCst) {
                        o.ok = false;
                        o.error = Some(format!(
                            "`until` not met within {}: last {w}",
                            drctl_model::runbook::duration::format_duration(ps.timeout)
                        ));
                        return o;
                    }
                    std::thread::sleep(pause);
                    // Back off: the pause doubles up to `max_interval`.
                    if let Some(max) = ps.max_interval {
                        pause = (pause * 2).min(max.max(ps.interval));
                    }
                }
            }
        }
    }

    /// The step's captured value. Only the ends of a long stream are kept, so a value is
    /// never taken from one: such a capture fails the step rather than go on with half of it.
    fn capture(&self, o: &Output) -> Result<Option<(String, String)>, String> {
        let Some(c) = self.ps().step.capture.as_ref() else {
            return Ok(None);
        };
        if o.stdout_cut() {
            return Err(format!(
                "cannot capture `{}`: stdout is {} bytes, more than the {} KiB a captured value may be",
                c.value,
                o.stdout_len,
                2 * drctl_transport::capture::KEEP / 1024
            ));
        }
        Ok(Some((c.value.clone(), o.stdout.trim().to_string())))
    }

    fn exec_once(
        &self,
        cmd: &Rendered,
        timeout: Duration,
        expect: Option<&Check>,
        attempts: u32,
    ) -> HostOutcome {
        let mut env: Vec<(String, String)> = self
            .ps()
            .step
            .env
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    self.render(v, Mode::Text)
                        .unwrap_or_else(|_| v.value.clone()),
                )
            })
            .collect();
        env.extend(cmd.env.iter().cloned());
        let mut spec = CommandSpec {
            command: cmd.text.clone(),
            env,
            timeout,
        };
        // As run: the exports of its values, then the command (masked where shown).
        let as_run = spec.script();
        // Fencing reaches the hosts: a script can reject a command from a stale controller.
        // (Not part of `as_run`: the same on every run, noise in journals and the audit.)
        spec.env
            .push(("DRCTL_RUN_ID".into(), self.plan.run_id.clone()));
        spec.env
            .push(("DRCTL_STEP_ID".into(), self.ps().step.id.value.clone()));
        spec.env
            .push(("DRCTL_EPOCH".into(), self.epoch.to_string()));
        let become_as = match self.become_as() {
            Ok(b) => b,
            Err(e) => return fail(e),
        };
        match self.pool.with(&self.host, |c| {
            c.set_become(become_as.as_ref())?;
            c.exec(&spec)
        }) {
            Ok(o) => {
                let mut why = match expect {
                    Some(e) => e.failure(&o, true).map(|w| format!("expect not met: {w}")),
                    None if o.exit != 0 => Some(format!("exit {}", o.exit)),
                    None => None,
                };
                let mut captured = None;
                if why.is_none() && self.phase == Phase::Forward {
                    match self.capture(&o) {
                        Ok(c) => captured = c,
                        Err(e) => why = Some(e),
                    }
                }
                let ok = why.is_none();
                HostOutcome {
                    ok,
                    skipped: false,
                    exit: Some(o.exit),
                    attempts,
                    captured,
                    error: why,
                    digest: o.digest(),
                    stdout_len: o.stdout_len,
                    stdout: o.stdout,
                    stderr: o.stderr,
                    host_key_refused: false,
                    in_doubt: false,
                    command: as_run.clone(),
                }
            }
            Err(e) => {
                let (stdout, stderr, digest) = match &e {
                    TransportError::Timeout { partial, .. }
                    | TransportError::InDoubt { partial, .. } => (
                        partial.stdout.clone(),
                        partial.stderr.clone(),
                        partial.digest(),
                    ),
                    _ => (String::new(), String::new(), String::new()),
                };
                HostOutcome {
                    ok: false,
                    attempts,
                    stdout,
                    stderr,
                    host_key_refused: e.is_host_key(),
                    in_doubt: matches!(e, TransportError::InDoubt { .. }),
                    error: Some(e.to_string()),
                    command: as_run.clone(),
                    digest,
                    ..Default::default()
                }
            }
        }
    }
}

/// A transfer path whose template has values must stay where its literal part puts it:
/// no value may climb out with `..`, or replace the folder the author wrote.
fn contained(template: &str, rendered: &str) -> Result<(), String> {
    let Some(first) = template.find("{{") else {
        return Ok(());
    };
    let prefix = &template[..first];
    let folder = &prefix[..prefix.rfind('/').map_or(0, |i| i + 1)];
    if !rendered.starts_with(folder) {
        return Err(format!("a value moved it out of `{folder}`"));
    }
    let written_ups = template.split('/').filter(|c| *c == "..").count();
    let ups = rendered.split('/').filter(|c| *c == "..").count();
    if ups > written_ups {
        return Err("a value put `..` in it: it must stay in the folder the runbook names".into());
    }
    Ok(())
}

fn fail(msg: String) -> HostOutcome {
    HostOutcome {
        ok: false,
        attempts: 1,
        error: Some(msg),
        ..Default::default()
    }
}

/// A transfer's line in the output and the journal: size, rate (MB/s, of the bytes sent
/// in this attempt), whether it resumed, checksum.
fn transfer_line(upload: bool, r: &drctl_transport::TransferResult, took: Duration) -> String {
    let sent = r.bytes.saturating_sub(r.resumed_from);
    let rate = sent as f64 / 1e6 / took.as_secs_f64().max(1e-6);
    let resumed = if r.resumed_from > 0 {
        format!(", resumed at byte {}", r.resumed_from)
    } else {
        String::new()
    };
    format!(
        "{} {} bytes in {:.2}s: {rate:.1} MB/s{resumed} (sha256 {})",
        if upload { "upload" } else { "download" },
        r.bytes,
        took.as_secs_f64(),
        r.sha256
    )
}

#[cfg(test)]
mod tests {
    use super::contained;

    #[test]
    fn a_value_cannot_steer_a_transfer_path_out_of_its_folder() {
        assert!(contained("backups/{{ name }}.tar", "backups/db1.tar").is_ok());
        assert!(contained("backups/{{ name }}.tar", "backups/../../etc/passwd.tar").is_err());
        assert!(contained("/srv/{{ d }}/x", "/srv/a/x").is_ok());
        assert!(contained("/srv/{{ d }}/x", "/srv/../root/x").is_err());
        assert!(
            contained("../shared/{{ f }}", "../shared/f").is_ok(),
            "the author's own .."
        );
        assert!(
            contained("{{ whole }}", "/anything").is_ok(),
            "no folder was named"
        );
        assert!(contained("{{ whole }}", "../up").is_err());
        assert!(contained("plain/path", "plain/path").is_ok());
    }
}
