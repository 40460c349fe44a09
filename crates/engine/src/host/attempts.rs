//! One command's attempts on the host: retries, `until` polling, timeouts, capture.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use drctl_core::Phase;
use drctl_model::runbook::model::Check;
use drctl_model::template::{Mode, Rendered};
use drctl_transport::{CommandSpec, Output, TransportError};

use super::{HostJob, HostOutcome, fail};

impl HostJob {
    /// `run:` with retries and `until` polling.
    pub(super) fn run_command(&self, cmd: &Rendered) -> HostOutcome {
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

    pub(super) fn exec_once(
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
