//! Bastions (`proxy_jump`): one authenticated SSH session per bastion, shared by every host
//! behind it. libssh2 needs a socket, so each target gets one end of a Unix socket pair; a
//! pump thread per bastion moves bytes between the other end and a `direct-tcpip` channel,
//! non-blocking and with per-tunnel buffers, so a hung target fills only its own SSH window
//! and never stalls the bastion's other users. The pump sends the bastion's keepalives and
//! declares it lost after `keepalive_interval × keepalive_count_max` of silence or when its
//! connection ends; every tunnel is then closed and the hosts behind it fail naming it.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ssh2::Session;

use crate::Link;
use crate::pump::Pump;
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
    pub epoch: Instant,
    /// How long the bastion itself had been silent (ms), as of the pump's last look.
    pub silent_ms: AtomicU64,
    /// The channel open in progress (request id, since when): libssh2 opens one at a time.
    pub opening: Mutex<Option<(u64, Instant)>>,
}

/// An open that has waited this long for the bastion (its connect to the host hangs) lets
/// the requests queued behind it go to another session to the same bastion.
pub(crate) const STUCK: Duration = Duration::from_millis(500);

/// Why a tunnel was not opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The bastion's session is stuck opening a channel for another host: use another.
    Busy,
    Failed(String),
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
    pub last_recv: Arc<AtomicU64>,
    pub bastion: Arc<Shared>,
}

impl Tunnel {
    pub fn silent_for(&self) -> Duration {
        let now = self.bastion.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_recv.load(Ordering::Relaxed)))
    }
}

pub(crate) struct Request {
    pub id: u64,
    pub addr: String,
    pub port: u16,
    pub dependent: String,
    pub reply: mpsc::Sender<Result<Tunnel, String>>,
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
            opening: Mutex::new(None),
        });
        let (tx, rx) = mpsc::channel();
        let (wake, wake_rx) = UnixStream::pair().expect("socketpair");
        let _ = wake_rx.set_nonblocking(true);
        let _ = wake.set_nonblocking(true);
        let pump = Pump::new(
            shared.clone(),
            (sess, link),
            (rx, wake_rx),
            host.keepalive_interval.max(Duration::from_secs(2)),
            host.keepalive_count_max.max(1),
        );
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

    /// Is this session stuck opening a channel (for a host whose address hangs)?
    pub fn stuck(&self) -> bool {
        self.shared
            .opening
            .lock()
            .is_ok_and(|o| o.is_some_and(|(_, since)| since.elapsed() >= STUCK))
    }

    /// A tunnel to `addr:port` through this bastion, for host `dependent`. `Busy`: the
    /// request waited behind another host's open that is stuck (it is withdrawn).
    pub fn open(
        &self,
        addr: &str,
        port: u16,
        dependent: &str,
        timeout: Duration,
    ) -> Result<Tunnel, OpenError> {
        static IDS: AtomicU64 = AtomicU64::new(1);
        if let Some(why) = self.shared.is_dead() {
            return Err(OpenError::Failed(self.shared.lost_message(&why)));
        }
        let id = IDS.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = mpsc::channel();
        let req = Request {
            id,
            addr: addr.to_string(),
            port,
            dependent: dependent.to_string(),
            reply,
        };
        self.requests
            .lock()
            .map_err(|_| OpenError::Failed("bastion pump poisoned".into()))?
            .send(req)
            .map_err(|_| OpenError::Failed(self.shared.lost_message("its pump ended")))?;
        let _ = (&self.wake).write(&[1]);
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match answer.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(r) => return r.map_err(OpenError::Failed),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(OpenError::Failed(
                        self.shared.lost_message("its pump ended"),
                    ));
                }
                Err(mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                    return Err(OpenError::Failed(format!(
                        "bastion {} did not open a channel to {addr}:{port} within {timeout:?}",
                        self.shared.label
                    )));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let behind_other = self.shared.opening.lock().is_ok_and(|o| {
                        o.is_some_and(|(other, since)| other != id && since.elapsed() >= STUCK)
                    });
                    if behind_other {
                        // Dropping `answer` withdraws the request: the pump closes the
                        // channel if it ever opens it.
                        return Err(OpenError::Busy);
                    }
                }
            }
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
