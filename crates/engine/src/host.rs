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
use drctl_transport::{CommandSpec, Output, TransportError};

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
                let base = self.plan.runbook.file.dir().to_path_buf();
                let command = format!(
                    "{} {src} -> {dest}",
                    if upload { "upload" } else { "download" }
                );
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    let res = self.plan_pool_transfer(upload, &src, &dest, t.mode, &base);
                    match res {
                        Ok(r) => {
                            return HostOutcome {
                                ok: true,
                                attempts,
                                exit: Some(0),
                                stdout: format!("{} bytes, sha256 {}", r.bytes, r.sha256),
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
        if upload {
            let local = resolve_path(src, base);
            self.pool.with(&self.host, |c| {
                c.upload(&local, dest, mode.unwrap_or(0o644), timeout)
            })
        } else {
            let local = resolve_path(dest, base);
            self.pool
                .with(&self.host, |c| c.download(src, &local, timeout))
        }
    }

    /// `run:` with retries and `until` polling.
    fn run_command(&self, cmd: &Rendered) -> HostOutcome {
        let ps = self.ps();
        let mut attempts = 0;
        loop {
            attempts += 1;
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
        loop {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(100));
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
                    o.ok = true;
                    o.error = None;
                    o.captured = self.capture(&output);
                    return o;
                }
                Some(w) => {
                    if Instant::now() + ps.interval >= deadline
                        || self.cancel.load(Ordering::SeqCst)
                    {
                        o.ok = false;
                        o.error = Some(format!(
                            "`until` not met within {}: last {w}",
                            drctl_model::runbook::duration::format_duration(ps.timeout)
                        ));
                        return o;
                    }
                    std::thread::sleep(ps.interval);
                }
            }
        }
    }

    fn capture(&self, o: &Output) -> Option<(String, String)> {
        self.ps()
            .step
            .capture
            .as_ref()
            .map(|c| (c.value.clone(), o.stdout.trim().to_string()))
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
        match self.pool.with(&self.host, |c| c.exec(&spec)) {
            Ok(o) => {
                let why = match expect {
                    Some(e) => e.failure(&o, true),
                    None if o.exit != 0 => Some(format!("exit {}", o.exit)),
                    None => None,
                };
                let ok = why.is_none();
                HostOutcome {
                    ok,
                    skipped: false,
                    exit: Some(o.exit),
                    attempts,
                    captured: if ok && self.phase == Phase::Forward {
                        self.capture(&o)
                    } else {
                        None
                    },
                    error: why.map(|w| {
                        if expect.is_some() {
                            format!("expect not met: {w}")
                        } else {
                            w
                        }
                    }),
                    stdout: o.stdout,
                    stderr: o.stderr,
                    host_key_refused: false,
                    in_doubt: false,
                    command: as_run.clone(),
                }
            }
            Err(e) => {
                let (stdout, stderr) = match &e {
                    TransportError::Timeout { partial, .. }
                    | TransportError::InDoubt { partial, .. } => {
                        (partial.stdout.clone(), partial.stderr.clone())
                    }
                    _ => (String::new(), String::new()),
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
                    ..Default::default()
                }
            }
        }
    }
}

fn fail(msg: String) -> HostOutcome {
    HostOutcome {
        ok: false,
        attempts: 1,
        error: Some(msg),
        ..Default::default()
    }
}
