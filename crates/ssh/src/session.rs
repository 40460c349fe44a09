//! The SSH session of one host and waiting on it: connect, keepalives, and non-blocking
//! retries and writes against a deadline.

use std::io::{ErrorKind, Write};
use std::time::{Duration, Instant};

use ssh2::{BlockDirections, ErrorCode, Session};

use drctl_transport::{Host, TransportError};

use crate::link::Link;
use crate::{CIPHERS, EAGAIN, KEEPALIVE_SLACK, SshConnection};

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

    pub(crate) fn lost(&self, msg: impl std::fmt::Display) -> TransportError {
        TransportError::Lost {
            host: self.host.name.clone(),
            msg: self.link.explain(msg.to_string()),
        }
    }

    /// Has the host closed the connection (its sshd died, the host rebooted) while it sat
    /// idle? Checked before a command is sent, so that a host lost between steps fails
    /// that step plainly (nothing was sent) instead of leaving it in doubt.
    pub(crate) fn peer_closed(&self) -> bool {
        self.link.peer_closed()
    }

    pub(crate) fn keepalive_interval(&self) -> Duration {
        self.host.keepalive_interval.max(Duration::from_secs(2))
    }

    /// How long since the host last sent anything.
    pub(crate) fn silent_for(&self) -> Option<Duration> {
        self.link.silent_for()
    }

    /// Wait until the socket is ready in the direction libssh2 is blocked on, or the deadline.
    pub(crate) fn wait(
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
    pub(crate) fn retry<T>(
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
    pub(crate) fn write_all(
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
}
