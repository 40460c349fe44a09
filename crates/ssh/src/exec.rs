//! Running commands on the host: its long-lived shell (open, frame, run), a channel per
//! command, and killing a timed-out command's remote process group.

use std::time::{Duration, Instant};

use drctl_transport::{ExecMode, Output, TransportError};

use crate::escalate;
use crate::remote_shell::{self, Frame};
use crate::{
    ChannelCapture, PID_MARK, RunResult, ShellReuse, SshConnection, in_doubt, pump, signal_number,
};

impl SshConnection {
    /// Start the host's long-lived shell (the user's shell reading commands from stdin) and
    /// check that it answers the framing. `Ok(None)`: it does not (a non-POSIX login shell,
    /// a forced command): use a channel per command on this host.
    pub(crate) fn open_shell(
        &mut self,
        deadline: Instant,
        started: Instant,
        limit: Duration,
    ) -> Result<Option<ssh2::Channel>, TransportError> {
        // Under `become`, sudo starts bash or /bin/sh (the account's own shell may be
        // nologin), see `escalate`.
        let (mut ch, _) = self.open_exec(
            "exec \"${SHELL:-/bin/sh}\" -s",
            escalate::BECOME_SHELL,
            deadline,
            started,
            limit,
        )?;
        let token = remote_shell::token();
        let probe = format!(
            "{}{}",
            remote_shell::BOOTSTRAP,
            remote_shell::wrap("true", &token)
        );
        self.write_all(&mut ch, probe.as_bytes(), deadline, started, limit)?;
        let probe_deadline = deadline.min(Instant::now() + self.host.connect_timeout);
        let mut frame = Frame::new(&token);
        match self.read_frame(&mut ch, &mut frame, probe_deadline, started, limit) {
            Ok(()) => Ok(Some(ch)),
            // Nothing at all came back: the host is hung, not odd.
            Err(e @ TransportError::Timeout { .. }) if frame.is_empty() => Err(e),
            Err(e) if self.become_as.is_some() => Err(e),
            Err(e) => {
                tracing::warn!(host = %self.host.name, error = %e, stderr = %frame.partial().stderr,
                    "the login shell does not answer drctl's framing; using a channel per command");
                Ok(None)
            }
        }
    }

    /// Read a channel's stdout and stderr into `frame` until its command finished.
    pub(crate) fn read_frame(
        &self,
        ch: &mut ssh2::Channel,
        frame: &mut Frame,
        deadline: Instant,
        started: Instant,
        limit: Duration,
    ) -> Result<(), TransportError> {
        loop {
            let progressed = pump(ch, &mut |stderr, data| {
                if stderr {
                    frame.push_err(data)
                } else {
                    frame.push_out(data)
                }
            })
            .map_err(|e| self.lost(e))?;
            if frame.is_finished() {
                return Ok(());
            }
            if ch.eof() {
                return Err(self.lost("the remote shell ended unexpectedly"));
            }
            if !progressed {
                self.wait(deadline, started, limit)?;
            }
        }
    }

    /// Run a command in the host's shell (started on first use). A shell that a previous
    /// command left something running in, which may still write to it, is replaced first,
    /// so that no output of an earlier step is ever charged to this one.
    pub(crate) fn run_in_shell(
        &mut self,
        script: &str,
        limit: Duration,
        reuse: ShellReuse,
    ) -> RunResult {
        let started = Instant::now();
        let deadline = started + limit;
        if let Some(mut ch) = self.take_shell() {
            let mut stray = false;
            let _ = pump(&mut ch, &mut |_, d| stray |= !d.is_empty());
            if !stray && !ch.eof() {
                self.put_shell(ch);
            } else {
                tracing::debug!(host = %self.host.name, "output after a step ended: replacing the shell");
            }
        }
        let kept = match reuse {
            ShellReuse::Keep => self.take_shell(),
            ShellReuse::Once => None,
        };
        let mut ch = match kept {
            Some(ch) => ch,
            None => match self.open_shell(deadline, started, limit) {
                Ok(Some(ch)) => ch,
                Ok(None) => {
                    self.mode = ExecMode::Channel;
                    return self.run(script, limit - started.elapsed().min(limit));
                }
                Err(e) => return Err((e, Output::default(), None)),
            },
        };
        let token = remote_shell::token();
        let text = remote_shell::wrap(script, &token);
        self.write_all(&mut ch, text.as_bytes(), deadline, started, limit)
            .map_err(|e| (e, Output::default(), None))?;
        let mut frame = Frame::new(&token);
        match self.read_frame(&mut ch, &mut frame, deadline, started, limit) {
            Ok(()) => {
                if frame.left_behind || frame.trailing {
                    // A background job of this command may still write to the shell's
                    // streams: the next command gets a fresh shell.
                    tracing::debug!(host = %self.host.name, "the command left a job running: its shell is not reused");
                } else if reuse == ShellReuse::Keep {
                    self.put_shell(ch);
                } else {
                    let _ = ch.send_eof();
                }
                Ok((frame.output(), frame.pid()))
            }
            Err(e) => Err((in_doubt(e), frame.partial(), frame.pid())),
        }
    }

    /// Run a command over a channel of its own (`exec_mode: channel`, and to kill a
    /// timed-out command).
    #[allow(clippy::result_large_err)]
    pub(crate) fn run(&mut self, script: &str, limit: Duration) -> RunResult {
        let started = Instant::now();
        let deadline = started + limit;
        let mut ch = self
            .retry(deadline, started, limit, |s| s.channel_session())
            .map_err(|e| (e, Output::default(), None))?;
        let wrapped = format!("printf '{PID_MARK}%s\\n' \"$$\" >&2; {script}");
        self.retry(deadline, started, limit, |_| ch.exec(&wrapped))
            .map_err(|e| (e, Output::default(), None))?;
        let _ = ch.send_eof();
        let mut cap = ChannelCapture::default();
        loop {
            let progressed = match pump(&mut ch, &mut |e, d| cap.push(e, d)) {
                Ok(p) => p,
                Err(e) => return Err((in_doubt(self.lost(e)), cap.output(-1), None)),
            };
            if ch.eof() {
                break;
            }
            if !progressed && let Err(e) = self.wait(deadline, started, limit) {
                return Err((in_doubt(e), cap.output(-1), cap.pid));
            }
        }
        let _ = self.retry(deadline, started, limit, |_| ch.wait_close());
        let exit = ch.exit_status().unwrap_or(-1);
        let exit = match ch.exit_signal() {
            Ok(sig) if sig.exit_signal.is_some() && exit == 0 => {
                128 + signal_number(sig.exit_signal.as_deref().unwrap_or(""))
            }
            _ => exit,
        };
        Ok((cap.output(exit), cap.pid))
    }

    /// Kill the remote process group of a timed-out command, over a fresh channel (as
    /// the become user when the command ran as one: the login user may not signal it).
    pub(crate) fn kill_remote(&mut self, pid: i32) -> bool {
        if self.become_as.is_some() {
            return self.kill_as_become(pid);
        }
        self.run(&escalate::kill_script(pid), Duration::from_secs(3))
            .is_ok()
    }
}
