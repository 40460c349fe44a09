//! SSH over libssh2 (ssh2): one session per host for the whole run, `TCP_NODELAY` on the
//! socket, strict known_hosts checking, agent then identity-file auth. Commands go to one
//! long-lived remote shell per host (framing in `remote_shell`), so a step costs the host a
//! fork instead of a new SSH channel, session process and login shell. Everything runs
//! non-blocking against a deadline, so a hung host never stalls drctl; on a timeout the
//! command's remote process group is killed over a second channel and the shell replaced.
//! `become` (sudo/su) gets a shell of its own per account, see `escalate`.

// Transport errors carry the partial output; returned once per command, never in a hot loop.
#![allow(clippy::result_large_err)]

use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use ssh2::{BlockDirections, ErrorCode, Session};

mod auth;
mod escalate;
mod jump;
mod known_hosts;
mod link;
mod pump;
pub mod remote_shell;
mod transfer;

use drctl_transport::capture::Capture;
use drctl_transport::{
    Become, CommandSpec, Connection, ExecMode, Host, Output, TransferResult, TransportError,
};
use link::Link;
pub use link::RealConnector;
use remote_shell::Frame;

/// Marks the first line of stderr, which carries the remote shell's pid (its process group).
const PID_MARK: &str = "\u{1e}drctl-pid:";
pub(crate) const EAGAIN: i32 = -37;
/// Cipher preference (see `connect`); a server offering none of the first falls to the rest.
const CIPHERS: &str = "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes256-cbc,aes192-cbc,aes128-cbc";
/// A reply to a keepalive takes a round trip: a host is lost only this much after
/// `keepalive_interval × keepalive_count_max` without a byte from it.
pub(crate) const KEEPALIVE_SLACK: Duration = Duration::from_millis(500);

/// A finished command and the remote pid, or why not with what output there was.
type RunResult = Result<(Output, Option<i32>), (TransportError, Output, Option<i32>)>;

pub struct SshConnection {
    host: Host,
    sess: Session,
    /// The socket under the session: TCP, or a tunnel through bastions.
    link: Link,
    /// The remote shell commands are sent to; replaced after a timeout or error.
    shell: Option<ssh2::Channel>,
    /// Shell, or a channel per command (set in the inventory, or after a failed probe).
    mode: ExecMode,
    /// When the next keepalive is due (while a command runs).
    next_keepalive: std::cell::Cell<Instant>,
    /// `become`: whom the next commands and transfers run as (`None`: the login user).
    become_as: Option<Become>,
    /// The long-lived become'd shells, by method and user (see `escalate`).
    become_shells: std::collections::HashMap<String, ssh2::Channel>,
}

/// Whether a command's shell is kept for the next command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShellReuse {
    Keep,
    /// `exec_mode: channel` under `become`: a fresh become'd shell per command.
    Once,
}

impl SshConnection {
    /// Connect directly, check the host key, authenticate.
    pub fn connect(host: &Host) -> Result<Self, TransportError> {
        let link = Link::tcp(host)?;
        Self::over(host, link)
    }

    /// Start a session over an open link (a TCP socket, or a tunnel through a bastion).
    pub(crate) fn over(host: &Host, link: Link) -> Result<Self, TransportError> {
        let sess = Self::session(host, &link)?;
        Ok(Self {
            host: host.clone(),
            sess,
            link,
            shell: None,
            mode: host.exec_mode,
            next_keepalive: std::cell::Cell::new(Instant::now()),
            become_as: None,
            become_shells: Default::default(),
        })
    }

    /// Handshake, host key check and authentication over `link`; the session is left
    /// non-blocking with keepalives on.
    pub(crate) fn session(host: &Host, link: &Link) -> Result<Session, TransportError> {
        let cerr = |msg: String| TransportError::Connect {
            host: host.name.clone(),
            addr: format!("{}:{}", host.addr, host.port),
            msg,
        };
        let mut sess = Session::new().map_err(|e| cerr(e.to_string()))?;
        // AES-GCM first: OpenSSL's AES-NI code, where libssh2's own ChaCha20-Poly1305 (its
        // default first choice) is portable C; transfers run at twice the speed.
        for dir in [ssh2::MethodType::CryptCs, ssh2::MethodType::CryptSc] {
            let _ = sess.method_pref(dir, CIPHERS);
        }
        link.give_to(&mut sess).map_err(|e| cerr(e.to_string()))?;
        sess.set_timeout(host.connect_timeout.as_millis().min(u32::MAX as u128) as u32);
        sess.handshake()
            .map_err(|e| cerr(format!("SSH handshake: {}", e.message())))?;
        Self::check_host_key(host, &sess)?;
        Self::authenticate(host, &sess)?;
        sess.set_keepalive(true, host.keepalive_interval.as_secs().max(2) as u32);
        sess.set_blocking(false);
        Ok(sess)
    }

    fn lost(&self, msg: impl std::fmt::Display) -> TransportError {
        TransportError::Lost {
            host: self.host.name.clone(),
            msg: self.link.explain(msg.to_string()),
        }
    }

    /// Has the host closed the connection (its sshd died, the host rebooted) while it sat
    /// idle? Checked before a command is sent, so that a host lost between steps fails
    /// that step plainly (nothing was sent) instead of leaving it in doubt.
    fn peer_closed(&self) -> bool {
        self.link.peer_closed()
    }

    fn keepalive_interval(&self) -> Duration {
        self.host.keepalive_interval.max(Duration::from_secs(2))
    }

    /// How long since the host last sent anything.
    fn silent_for(&self) -> Option<Duration> {
        self.link.silent_for()
    }

    /// Wait until the socket is ready in the direction libssh2 is blocked on, or the deadline.
    fn wait(
        &self,
        deadline: Instant,
        started: Instant,
        limit: Duration,
    ) -> Result<(), TransportError> {
        let now = Instant::now();
        if now >= deadline {
            return Err(TransportError::Timeout {
                host: self.host.name.clone(),
                after: limit.min(now - started),
                partial: Box::default(),
            });
        }
        let events = match self.sess.block_directions() {
            BlockDirections::Inbound => libc::POLLIN,
            BlockDirections::Outbound => libc::POLLOUT,
            _ => libc::POLLIN | libc::POLLOUT,
        };
        let mut pfd = libc::pollfd {
            fd: self.link.fd(),
            events,
            revents: 0,
        };
        // Keepalives (reply expected) go out while we wait on a long command, one per
        // `keepalive_interval`; a host that answers nothing at all, neither output nor
        // those replies, for `keepalive_interval × keepalive_count_max` is lost.
        let interval = self.keepalive_interval();
        if now >= self.next_keepalive.get() {
            // libssh2 sends when its own interval (the same) has passed; it says so by
            // returning the whole interval as the time to the next one.
            let sent = self
                .sess
                .keepalive_send()
                .is_ok_and(|n| u64::from(n) >= interval.as_secs());
            self.next_keepalive.set(if sent {
                now + interval + Duration::from_millis(20)
            } else {
                now + Duration::from_millis(20)
            });
        }
        let window = interval * self.host.keepalive_count_max.max(1) + KEEPALIVE_SLACK;
        if let Some(silent) = self.silent_for()
            && silent.min(now - started) >= window
        {
            return Err(self.lost(format!(
                "no answer to keepalives for {}s (keepalive_interval {}s × keepalive_count_max {})",
                (window - KEEPALIVE_SLACK).as_secs(),
                interval.as_secs(),
                self.host.keepalive_count_max
            )));
        }
        let ms = (deadline - now)
            .min(self.next_keepalive.get().saturating_duration_since(now))
            .as_millis()
            .min(1000) as i32;
        // SAFETY: `pfd` is a valid, initialised pollfd that lives across the call, and
        // the count (1) matches it; poll only writes its `revents`.
        unsafe { libc::poll(&mut pfd, 1, ms.max(1)) };
        Ok(())
    }

    /// Retry a libssh2 call that may say EAGAIN until it completes or the deadline passes.
    fn retry<T>(
        &self,
        deadline: Instant,
        started: Instant,
        limit: Duration,
        mut f: impl FnMut(&Session) -> Result<T, ssh2::Error>,
    ) -> Result<T, TransportError> {
        loop {
            match f(&self.sess) {
                Err(e) if e.code() == ErrorCode::Session(EAGAIN) => {
                    self.wait(deadline, started, limit)?
                }
                Err(e) => return Err(self.lost(e.message())),
                Ok(v) => return Ok(v),
            }
        }
    }

    /// Write all of `data` to a channel's stdin before the deadline.
    fn write_all(
        &self,
        ch: &mut ssh2::Channel,
        data: &[u8],
        deadline: Instant,
        started: Instant,
        limit: Duration,
    ) -> Result<(), TransportError> {
        let mut off = 0;
        while off < data.len() {
            match ch.write(&data[off..]) {
                Ok(n) => off += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.wait(deadline, started, limit)?
                }
                Err(e) => return Err(self.lost(e)),
            }
        }
        Ok(())
    }

    /// Start the host's long-lived shell (the user's shell reading commands from stdin) and
    /// check that it answers the framing. `Ok(None)`: it does not (a non-POSIX login shell,
    /// a forced command): use a channel per command on this host.
    fn open_shell(
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
    fn read_frame(
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
    fn run_in_shell(&mut self, script: &str, limit: Duration, reuse: ShellReuse) -> RunResult {
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
    fn run(&mut self, script: &str, limit: Duration) -> RunResult {
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
    fn kill_remote(&mut self, pid: i32) -> bool {
        if self.become_as.is_some() {
            return self.kill_as_become(pid);
        }
        self.run(&escalate::kill_script(pid), Duration::from_secs(3))
            .is_ok()
    }
}

/// Read whatever a channel has on stdout and stderr without blocking, handing each piece
/// to `sink` (`true`: stderr); whether anything came.
fn pump(ch: &mut ssh2::Channel, sink: &mut dyn FnMut(bool, &[u8])) -> std::io::Result<bool> {
    thread_local! {
        /// One read buffer per thread, allocated once (zeroed by the allocator, so its pages
        /// become resident only as far as reads fill them): a 32 KiB array on the stack
        /// was zeroed, and made resident, on every call of every host's thread.
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 32 * 1024]);
    }
    BUF.with_borrow_mut(|buf| {
        let mut progressed = false;
        for stderr in [false, true] {
            let res = if stderr {
                ch.stderr().read(buf)
            } else {
                ch.read(buf)
            };
            match res {
                Ok(0) => {}
                Ok(n) => {
                    progressed = true;
                    sink(stderr, &buf[..n]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(progressed)
    })
}

/// A channel-per-command's output, captured bounded; the first stderr line carries the
/// remote pid.
#[derive(Default)]
struct ChannelCapture {
    out: Capture,
    err: Capture,
    /// stderr until its first newline (the pid line), at most a few bytes.
    first: Vec<u8>,
    first_done: bool,
    pid: Option<i32>,
}

impl ChannelCapture {
    fn push(&mut self, stderr: bool, mut data: &[u8]) {
        if !stderr {
            self.out.push(data);
            return;
        }
        if !self.first_done {
            match data.iter().position(|b| *b == b'\n') {
                Some(nl) => {
                    self.first.extend_from_slice(&data[..=nl]);
                    data = &data[nl + 1..];
                    self.end_first();
                }
                None => {
                    self.first.extend_from_slice(data);
                    if self.first.len() > 64 {
                        self.end_first();
                    }
                    return;
                }
            }
        }
        self.err.push(data);
    }

    fn end_first(&mut self) {
        self.first_done = true;
        let first = std::mem::take(&mut self.first);
        let text = String::from_utf8_lossy(&first);
        match text.strip_prefix(PID_MARK) {
            Some(rest) => self.pid = rest.trim().parse().ok(),
            None => self.err.push(&first),
        }
    }

    fn output(&self, exit: i32) -> Output {
        let mut err = self.err.clone();
        if !self.first_done && !String::from_utf8_lossy(&self.first).starts_with(PID_MARK) {
            err.push(&self.first);
        }
        Output::from_streams(exit, self.out.snapshot(), err.finish())
    }
}

fn signal_number(name: &str) -> i32 {
    match name {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "KILL" => 9,
        "SEGV" => 11,
        "PIPE" => 13,
        "TERM" => 15,
        _ => 0,
    }
}

impl Connection for SshConnection {
    fn exec(&mut self, spec: &CommandSpec) -> Result<Output, TransportError> {
        if self.peer_closed() {
            return Err(self.lost("the host closed the connection before the command was sent"));
        }
        let res = match (self.mode, &self.become_as) {
            (ExecMode::Shell, _) => {
                self.run_in_shell(&spec.script(), spec.timeout, ShellReuse::Keep)
            }
            (ExecMode::Channel, Some(_)) => {
                self.run_in_shell(&spec.script(), spec.timeout, ShellReuse::Once)
            }
            (ExecMode::Channel, None) => self.run(&spec.script(), spec.timeout),
        };
        match res {
            Ok((o, _)) => Ok(o),
            Err((TransportError::Timeout { host, .. }, partial, pid)) => {
                if let Some(pid) = pid
                    && !self.kill_remote(pid)
                {
                    tracing::warn!(host = %host, pid, "could not kill the timed-out remote command");
                }
                Err(TransportError::Timeout {
                    host,
                    after: spec.timeout,
                    partial: Box::new(partial),
                })
            }
            Err((TransportError::InDoubt { host, msg, .. }, partial, _)) => {
                Err(TransportError::InDoubt {
                    host,
                    msg,
                    partial: Box::new(partial),
                })
            }
            Err((e, ..)) => Err(e),
        }
    }

    fn upload(
        &mut self,
        local: &Path,
        remote: &str,
        mode: u32,
        timeout: Duration,
    ) -> Result<TransferResult, TransportError> {
        self.upload_file(local, remote, mode, timeout)
    }

    fn download(
        &mut self,
        remote: &str,
        local: &Path,
        timeout: Duration,
    ) -> Result<TransferResult, TransportError> {
        self.download_file(remote, local, timeout)
    }

    fn set_become(&mut self, become_as: Option<&Become>) -> Result<(), TransportError> {
        self.become_as = become_as.cloned();
        Ok(())
    }
}

/// A connection lost after the command was sent leaves its outcome in doubt.
fn in_doubt(e: TransportError) -> TransportError {
    match e {
        TransportError::Lost { host, msg } => TransportError::InDoubt {
            host,
            msg,
            partial: Box::default(),
        },
        e => e,
    }
}
