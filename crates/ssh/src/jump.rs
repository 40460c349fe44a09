//! Bastions (`proxy_jump`): one authenticated SSH session per bastion, shared by every host
//! behind it. libssh2 needs a socket, so each target gets one end of a Unix socket pair; a
//! pump thread per bastion moves bytes between the other end and a `direct-tcpip` channel,
//! non-blocking and with per-tunnel buffers, so a hung target fills only its own SSH window
//! and never stalls the bastion's other users. The pump sends the bastion's keepalives and
//! declares it lost after `keepalive_interval × keepalive_count_max` of silence or when its
//! connection ends; every tunnel is then closed and the hosts behind it fail naming it.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ssh2::{BlockDirections, ErrorCode, Session};

use crate::{EAGAIN, KEEPALIVE_SLACK, Link};
use drctl_transport::{Host, TransportError};

/// What the hosts behind a bastion learn about it.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The bastion as named in messages: `name (addr:port)`.
    pub label: String,
    /// Why it was lost (`None`: alive).
    pub dead: Mutex<Option<String>>,
    /// Hosts (targets and further bastions) that go through it.
    pub dependents: Mutex<Vec<String>>,
    /// The clock of `Tunnel::last_recv`.
    epoch: Instant,
    /// How long the bastion itself had been silent (ms), as of the pump's last look.
    silent_ms: AtomicU64,
}

impl Shared {
    pub fn is_dead(&self) -> Option<String> {
        self.dead.lock().ok().and_then(|d| d.clone())
    }

    pub fn depend(&self, name: &str) {
        if let Ok(mut d) = self.dependents.lock()
            && !d.iter().any(|n| n == name)
        {
            d.push(name.to_string());
        }
    }

    /// How long the bastion itself has been silent (as of its pump's last look).
    pub fn silent_for(&self) -> Duration {
        Duration::from_millis(self.silent_ms.load(Ordering::Relaxed))
    }

    /// "bastion `b1` (addr) is lost: why; hosts behind it: a, b".
    pub fn lost_message(&self, why: &str) -> String {
        let deps = self
            .dependents
            .lock()
            .map(|d| d.join(", "))
            .unwrap_or_default();
        format!(
            "bastion {} is lost: {why}; hosts behind it: {deps}",
            self.label
        )
    }
}

/// One end of a tunnel through a bastion, for the next session.
#[derive(Debug)]
pub(crate) struct Tunnel {
    pub stream: UnixStream,
    /// When the pump last received bytes for this tunnel (ms since `bastion.epoch`).
    last_recv: Arc<AtomicU64>,
    pub bastion: Arc<Shared>,
}

impl Tunnel {
    pub fn silent_for(&self) -> Duration {
        let now = self.bastion.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_recv.load(Ordering::Relaxed)))
    }
}

struct Request {
    addr: String,
    port: u16,
    dependent: String,
    reply: mpsc::Sender<Result<Tunnel, String>>,
}

/// A connected, authenticated bastion and its pump thread.
#[derive(Debug)]
pub(crate) struct Bastion {
    pub shared: Arc<Shared>,
    requests: Mutex<mpsc::Sender<Request>>,
    /// Written to wake the pump for a request.
    wake: UnixStream,
}

impl Bastion {
    /// Start the pump over an authenticated session (blocking mode; it is switched).
    pub fn start(host: &Host, sess: Session, link: Link) -> Arc<Bastion> {
        let shared = Arc::new(Shared {
            label: format!("`{}` ({}:{})", host.name, host.addr, host.port),
            dead: Mutex::new(None),
            dependents: Mutex::new(Vec::new()),
            epoch: Instant::now(),
            silent_ms: AtomicU64::new(0),
        });
        let (tx, rx) = mpsc::channel();
        let (wake, wake_rx) = UnixStream::pair().expect("socketpair");
        let _ = wake_rx.set_nonblocking(true);
        let _ = wake.set_nonblocking(true);
        let pump = Pump {
            shared: shared.clone(),
            sess,
            link,
            rx,
            wake: wake_rx,
            interval: host.keepalive_interval.max(Duration::from_secs(2)),
            count_max: host.keepalive_count_max.max(1),
            tunnels: Vec::new(),
            opening: None,
            orphan: false,
        };
        std::thread::Builder::new()
            .name(format!("drctl-bastion-{}", host.name))
            .spawn(move || pump.run())
            .expect("spawn bastion pump");
        Arc::new(Bastion {
            shared,
            requests: Mutex::new(tx),
            wake,
        })
    }

    /// A tunnel to `addr:port` through this bastion, for host `dependent`.
    pub fn open(
        &self,
        addr: &str,
        port: u16,
        dependent: &str,
        timeout: Duration,
    ) -> Result<Tunnel, String> {
        if let Some(why) = self.shared.is_dead() {
            return Err(self.shared.lost_message(&why));
        }
        let (reply, answer) = mpsc::channel();
        let req = Request {
            addr: addr.to_string(),
            port,
            dependent: dependent.to_string(),
            reply,
        };
        self.requests
            .lock()
            .map_err(|_| "bastion pump poisoned".to_string())?
            .send(req)
            .map_err(|_| self.shared.lost_message("its pump ended"))?;
        let _ = (&self.wake).write(&[1]);
        match answer.recv_timeout(timeout) {
            Ok(r) => r,
            Err(_) => Err(format!(
                "bastion {} did not open a channel to {addr}:{port} within {timeout:?}",
                self.shared.label
            )),
        }
    }
}

struct Pipe {
    ch: ssh2::Channel,
    sock: UnixStream,
    /// From the target's channel, not yet written to the socket.
    down: Vec<u8>,
    /// From the socket, not yet written to the channel.
    up: Vec<u8>,
    sock_eof: bool,
    last_recv: Arc<AtomicU64>,
}

struct Pump {
    shared: Arc<Shared>,
    sess: Session,
    link: Link,
    rx: mpsc::Receiver<Request>,
    wake: UnixStream,
    interval: Duration,
    count_max: u32,
    tunnels: Vec<Pipe>,
    opening: Option<Request>,
    /// The connector is gone: end when the last tunnel closes.
    orphan: bool,
}

fn would_block(e: &ssh2::Error) -> bool {
    e.code() == ErrorCode::Session(EAGAIN)
}

impl Pump {
    fn now_ms(&self) -> u64 {
        self.shared.epoch.elapsed().as_millis() as u64
    }

    fn run(mut self) {
        self.sess.set_blocking(false);
        let mut next_keepalive = Instant::now();
        let window = self.interval * self.count_max + KEEPALIVE_SLACK;
        let why = loop {
            let mut progressed = false;
            let mut buf = [0u8; 1];
            loop {
                match (&self.wake).read(&mut buf) {
                    Ok(0) => {
                        // The connector (the other end) is gone.
                        self.orphan = true;
                        break;
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            match self.open_next() {
                Ok(p) => progressed |= p,
                Err(e) => break e,
            }
            match self.pump_all() {
                Ok(p) => progressed |= p,
                Err(e) => break e,
            }
            let now = Instant::now();
            if now >= next_keepalive {
                let _ = self.sess.keepalive_send();
                next_keepalive = now + self.interval;
            }
            let silent = self.link.silent_for();
            if let Some(s) = silent {
                self.shared
                    .silent_ms
                    .store(s.as_millis() as u64, Ordering::Relaxed);
            }
            if let Some(silent) = silent
                && silent >= window
            {
                break format!(
                    "no answer to keepalives for {}s",
                    (window - KEEPALIVE_SLACK).as_secs()
                );
            }
            if self.link.peer_closed() {
                break "its connection was closed".into();
            }
            if self.orphan && self.tunnels.is_empty() {
                // Nobody can ask for a tunnel any more and none is open: a clean end.
                let _ = self.sess.disconnect(None, "drctl is done", None);
                return;
            }
            if !progressed {
                self.wait(next_keepalive);
            }
        };
        self.die(&why);
    }

    /// Take the next request and try to open its channel (resumed after EAGAIN).
    fn open_next(&mut self) -> Result<bool, String> {
        if self.opening.is_none() {
            match self.rx.try_recv() {
                Ok(r) => self.opening = Some(r),
                Err(mpsc::TryRecvError::Empty) => return Ok(false),
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.orphan = true;
                    return Ok(false);
                }
            }
        }
        let req = self.opening.as_ref().expect("set above");
        match self.sess.channel_direct_tcpip(&req.addr, req.port, None) {
            Err(e) if would_block(&e) => Ok(false),
            Err(e) => {
                let req = self.opening.take().expect("set above");
                let _ = req.reply.send(Err(format!(
                    "bastion {} cannot reach {}:{}: {}",
                    self.shared.label,
                    req.addr,
                    req.port,
                    e.message()
                )));
                // A refused channel is the target's problem; a broken session is ours.
                if matches!(e.code(), ErrorCode::Session(-7) | ErrorCode::Session(-13)) {
                    return Err(e.message().to_string());
                }
                Ok(true)
            }
            Ok(ch) => {
                let req = self.opening.take().expect("set above");
                let (mine, theirs) = UnixStream::pair().map_err(|e| e.to_string())?;
                let _ = mine.set_nonblocking(true);
                let last_recv = Arc::new(AtomicU64::new(self.now_ms()));
                self.shared.depend(&req.dependent);
                let tunnel = Tunnel {
                    stream: theirs,
                    last_recv: last_recv.clone(),
                    bastion: self.shared.clone(),
                };
                if req.reply.send(Ok(tunnel)).is_ok() {
                    self.tunnels.push(Pipe {
                        ch,
                        sock: mine,
                        down: Vec::new(),
                        up: Vec::new(),
                        sock_eof: false,
                        last_recv,
                    });
                }
                Ok(true)
            }
        }
    }

    /// Move what can move on every tunnel; drop finished ones. `Err`: the session broke.
    fn pump_all(&mut self) -> Result<bool, String> {
        let mut progressed = false;
        let now = self.now_ms();
        let mut buf = vec![0u8; 32 * 1024];
        let mut i = 0;
        while i < self.tunnels.len() {
            let p = &mut self.tunnels[i];
            let mut finished = false;
            // Channel → socket, only when the socket took everything before.
            if p.down.is_empty() {
                match p.ch.read(&mut buf) {
                    Ok(0) => finished |= p.ch.eof(),
                    Ok(n) => {
                        p.down.extend_from_slice(&buf[..n]);
                        p.last_recv.store(now, Ordering::Relaxed);
                        progressed = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => return Err(format!("its connection failed ({e})")),
                }
            }
            if !p.down.is_empty() {
                match (&p.sock).write(&p.down) {
                    Ok(n) => {
                        p.down.drain(..n);
                        progressed = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => finished = true,
                }
            }
            // Socket → channel.
            if p.up.is_empty() && !p.sock_eof {
                match (&p.sock).read(&mut buf) {
                    Ok(0) => {
                        p.sock_eof = true;
                        let _ = p.ch.send_eof();
                        finished = true;
                    }
                    Ok(n) => {
                        p.up.extend_from_slice(&buf[..n]);
                        progressed = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => finished = true,
                }
            }
            if !p.up.is_empty() {
                match p.ch.write(&p.up) {
                    Ok(n) => {
                        p.up.drain(..n);
                        progressed |= n > 0;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => return Err(format!("its connection failed ({e})")),
                }
            }
            if finished && p.down.is_empty() {
                let mut p = self.tunnels.swap_remove(i);
                let _ = p.ch.close();
                let _ = p.sock.shutdown(std::net::Shutdown::Both);
                progressed = true;
                continue;
            }
            i += 1;
        }
        Ok(progressed)
    }

    /// Sleep until the bastion's link, a tunnel socket or a request needs us.
    fn wait(&self, next_keepalive: Instant) {
        let link_events = match self.sess.block_directions() {
            BlockDirections::Outbound => libc::POLLIN | libc::POLLOUT,
            BlockDirections::Both => libc::POLLIN | libc::POLLOUT,
            _ => libc::POLLIN,
        };
        let mut fds = vec![
            libc::pollfd {
                fd: self.link.fd(),
                events: link_events | libc::POLLRDHUP,
                revents: 0,
            },
            libc::pollfd {
                // A closed wake socket would always be readable: left out then.
                fd: if self.orphan {
                    -1
                } else {
                    self.wake.as_raw_fd()
                },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        for p in &self.tunnels {
            let mut ev = 0;
            if p.up.is_empty() && !p.sock_eof {
                ev |= libc::POLLIN;
            }
            if !p.down.is_empty() {
                ev |= libc::POLLOUT;
            }
            fds.push(libc::pollfd {
                fd: p.sock.as_raw_fd(),
                events: ev,
                revents: 0,
            });
        }
        // A channel open in progress, or channel writes held back by the SSH window, are
        // retried soon even without an event.
        let busy = self.opening.is_some() || self.tunnels.iter().any(|p| !p.up.is_empty());
        let cap = if busy { 5 } else { 1000 };
        let ms = next_keepalive
            .saturating_duration_since(Instant::now())
            .as_millis()
            .min(cap) as i32;
        self.link.quick_ack();
        // SAFETY: `fds` is a valid array of initialised pollfds that outlives the call, and
        // its length is passed with it; poll only writes their `revents`.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms.max(1)) };
    }

    /// The bastion is lost: say why, refuse what waits, close every tunnel.
    fn die(mut self, why: &str) {
        tracing::warn!(bastion = %self.shared.label, why, "bastion lost");
        if let Ok(mut d) = self.shared.dead.lock() {
            *d = Some(why.to_string());
        }
        let msg = self.shared.lost_message(why);
        if let Some(req) = self.opening.take() {
            let _ = req.reply.send(Err(msg.clone()));
        }
        while let Ok(req) = self.rx.try_recv() {
            let _ = req.reply.send(Err(msg.clone()));
        }
        for p in self.tunnels.drain(..) {
            let _ = p.sock.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Name a hop's connection errors as the bastion's, for the host behind it.
pub(crate) fn as_bastion(e: TransportError, hop: &Host, target: &str) -> TransportError {
    let label = format!("bastion `{}` of `{target}`", hop.name);
    match e {
        TransportError::Connect { addr, msg, .. } => TransportError::Connect {
            host: label,
            addr,
            msg,
        },
        TransportError::UnknownHostKey {
            known_hosts,
            fingerprint,
            ..
        } => TransportError::UnknownHostKey {
            host: label,
            known_hosts,
            fingerprint,
        },
        TransportError::ChangedHostKey {
            known_hosts,
            fingerprint,
            ..
        } => TransportError::ChangedHostKey {
            host: label,
            known_hosts,
            fingerprint,
        },
        TransportError::RevokedHostKey {
            known_hosts,
            line,
            fingerprint,
            ..
        } => TransportError::RevokedHostKey {
            host: label,
            known_hosts,
            line,
            fingerprint,
        },
        TransportError::CertAuthorityOnly {
            known_hosts,
            line,
            fingerprint,
            ..
        } => TransportError::CertAuthorityOnly {
            host: label,
            known_hosts,
            line,
            fingerprint,
        },
        TransportError::Auth { user, msg, .. } => TransportError::Auth {
            host: label,
            user,
            msg,
        },
        e => e,
    }
}
