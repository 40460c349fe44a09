//! The socket under an SSH session — a TCP connection (`TCP_NODELAY`, silence read from the
//! kernel's TCP_INFO) or a tunnel through bastions (silence from the bastion's pump) — and
//! the real connector, which keeps one session per bastion (chain prefix) for all the
//! hosts behind it.

use std::collections::HashMap;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ssh2::Session;

use crate::SshConnection;
use crate::jump::{Bastion, OpenError, Tunnel, as_bastion};
use drctl_transport::{Connection, Connector, Host, TransportError, TransportKind, local};

/// What a session runs over.
#[derive(Debug)]
pub(crate) enum Link {
    Tcp(TcpStream),
    Tunnel(Tunnel),
}

impl Link {
    /// A direct TCP connection to the host.
    pub fn tcp(host: &Host) -> Result<Link, TransportError> {
        let target = format!("{}:{}", host.addr, host.port);
        let cerr = |msg: String| TransportError::Connect {
            host: host.name.clone(),
            addr: target.clone(),
            msg,
        };
        let addr = (host.addr.as_str(), host.port)
            .to_socket_addrs()
            .map_err(|e| cerr(format!("cannot resolve: {e}")))?
            .next()
            .ok_or_else(|| cerr("no address".into()))?;
        let tcp = TcpStream::connect_timeout(&addr, host.connect_timeout)
            .map_err(|e| cerr(e.to_string()))?;
        tcp.set_nodelay(true).map_err(|e| cerr(e.to_string()))?;
        Ok(Link::Tcp(tcp))
    }

    pub fn fd(&self) -> RawFd {
        match self {
            Link::Tcp(t) => t.as_raw_fd(),
            Link::Tunnel(t) => t.stream.as_raw_fd(),
        }
    }

    /// Hand a duplicate of the socket to a libssh2 session.
    pub fn give_to(&self, sess: &mut Session) -> std::io::Result<()> {
        match self {
            Link::Tcp(t) => sess.set_tcp_stream(t.try_clone()?),
            Link::Tunnel(t) => sess.set_tcp_stream(t.stream.try_clone()?),
        }
        Ok(())
    }

    /// Has the other end closed (peer gone, or the bastion's pump closed the tunnel)?
    pub fn peer_closed(&self) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.fd(),
            events: libc::POLLRDHUP,
            revents: 0,
        };
        // SAFETY: `pfd` is a valid, initialised pollfd for the duration of the call and the
        // count (1) matches it; a zero timeout never blocks.
        let n = unsafe { libc::poll(&mut pfd, 1, 0) };
        n > 0 && pfd.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0
    }

    /// Acknowledge what arrives at once (Linux `TCP_QUICKACK`, which the kernel turns off
    /// again by itself, so it is set before each wait). sshd sets `TCP_NODELAY` only for
    /// interactive sessions, so a bastion's sshd holds a second small packet until the first
    /// is acknowledged; with delayed ACKs each step through a bastion would cost ~40 ms.
    pub fn quick_ack(&self) {
        if let Link::Tcp(tcp) = self {
            let one: libc::c_int = 1;
            // SAFETY: setsockopt reads `len` bytes from a valid c_int on our own socket.
            unsafe {
                libc::setsockopt(
                    tcp.as_raw_fd(),
                    libc::IPPROTO_TCP,
                    libc::TCP_QUICKACK,
                    (&one as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
        }
    }

    /// How long since the peer last sent anything.
    pub fn silent_for(&self) -> Option<Duration> {
        match self {
            Link::Tunnel(t) => Some(t.silent_for()),
            Link::Tcp(tcp) => {
                // SAFETY: a zeroed tcp_info is valid; getsockopt writes at most `len` bytes
                // into it and the descriptor is our connected socket.
                let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
                let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
                let rc = unsafe {
                    libc::getsockopt(
                        tcp.as_raw_fd(),
                        libc::IPPROTO_TCP,
                        libc::TCP_INFO,
                        (&mut info as *mut libc::tcp_info).cast(),
                        &mut len,
                    )
                };
                (rc == 0).then(|| Duration::from_millis(info.tcpi_last_data_recv as u64))
            }
        }
    }

    /// A loss message, with the bastion's fate when the host is behind one.
    pub fn explain(&self, msg: String) -> String {
        match self {
            Link::Tcp(_) => msg,
            Link::Tunnel(t) => match t.bastion.is_dead() {
                Some(why) => t.bastion.lost_message(&why),
                None if t.bastion.silent_for() >= Duration::from_secs(2) => format!(
                    "{msg} (through bastion {}, itself silent for {}s)",
                    t.bastion.label,
                    t.bastion.silent_for().as_secs()
                ),
                None => format!("{msg} (through bastion {})", t.bastion.label),
            },
        }
    }
}

/// The sessions to one bastion (one chain prefix): the first host that needs it connects
/// one, the others share it. A second one is opened only while the first is stuck opening a
/// channel to a host whose address hangs (libssh2 opens one channel at a time).
type Slot = Arc<Mutex<Vec<Arc<Bastion>>>>;

/// The real connector: SSH for inventory hosts (through their bastions), the local shell
/// for `local`. Bastion sessions live as long as the connector.
#[derive(Debug, Default)]
pub struct RealConnector {
    bastions: Mutex<HashMap<String, Slot>>,
}

impl RealConnector {
    pub fn new() -> Self {
        Self::default()
    }

    /// A session to hop `hops[i]` of `target`'s chain (`chain`: the sessions before it): a
    /// live one that is not stuck opening a channel, else a new one.
    fn bastion(
        &self,
        target: &Host,
        i: usize,
        chain: &[Arc<Bastion>],
    ) -> Result<Arc<Bastion>, TransportError> {
        let hop = &target.proxy_jump[i];
        let key: String = target.proxy_jump[..=i]
            .iter()
            .map(|h| format!("{}@{}:{}/", h.user, h.addr, h.port))
            .collect();
        let slot = self
            .bastions
            .lock()
            .expect("bastion map")
            .entry(key)
            .or_default()
            .clone();
        let mut held = slot.lock().expect("bastion slot");
        held.retain(|b| b.shared.is_dead().is_none());
        if let Some(b) = held.iter().find(|b| !b.stuck()) {
            return Ok(b.clone());
        }
        let link = match chain.last() {
            None => Link::tcp(hop).map_err(|e| as_bastion(e, hop, &target.name))?,
            Some(p) => Link::Tunnel(
                p.open(&hop.addr, hop.port, &hop.name, hop.connect_timeout)
                    .map_err(|e| TransportError::Connect {
                        host: format!("bastion `{}` of `{}`", hop.name, target.name),
                        addr: format!("{}:{}", hop.addr, hop.port),
                        msg: match e {
                            OpenError::Failed(m) => m,
                            OpenError::Busy => format!(
                                "bastion {} is busy opening a channel to another host",
                                p.shared.label
                            ),
                        },
                    })?,
            ),
        };
        let sess =
            SshConnection::session(hop, &link).map_err(|e| as_bastion(e, hop, &target.name))?;
        if !held.is_empty() {
            tracing::info!(bastion = %hop.name, sessions = held.len() + 1,
                "another session to the bastion: the others are stuck opening a channel");
        }
        let b = Bastion::start(hop, sess, link);
        held.push(b.clone());
        Ok(b)
    }

    /// A tunnel to `host` through its chain of bastions, connecting those not yet up.
    fn through(&self, host: &Host) -> Result<Link, TransportError> {
        let mut chain: Vec<Arc<Bastion>> = Vec::new();
        for i in 0..host.proxy_jump.len() {
            let b = self.bastion(host, i, &chain)?;
            b.shared.depend(&host.name);
            chain.push(b);
        }
        let last_i = host.proxy_jump.len() - 1;
        let mut last = chain.pop().expect("a host with bastions");
        for attempt in 0..2 {
            match last.open(&host.addr, host.port, &host.name, host.connect_timeout) {
                Ok(t) => return Ok(Link::Tunnel(t)),
                Err(OpenError::Busy) if attempt == 0 => {
                    // The session it waited on is stuck (so not picked again).
                    last = self.bastion(host, last_i, &chain)?;
                    last.shared.depend(&host.name);
                }
                Err(e) => {
                    return Err(TransportError::Connect {
                        host: host.name.clone(),
                        addr: format!("{}:{} via {}", host.addr, host.port, last.shared.label),
                        msg: match e {
                            OpenError::Failed(m) => m,
                            OpenError::Busy => "the bastion is busy opening channels".into(),
                        },
                    });
                }
            }
        }
        unreachable!("the loop returns")
    }
}

impl Connector for RealConnector {
    fn connect(&self, host: &Host) -> Result<Box<dyn Connection>, TransportError> {
        match host.transport {
            TransportKind::Local => Ok(Box::new(local::LocalConnection::new(&host.name))),
            TransportKind::Ssh if host.proxy_jump.is_empty() => {
                Ok(Box::new(SshConnection::connect(host)?))
            }
            TransportKind::Ssh => {
                let link = self.through(host)?;
                Ok(Box::new(SshConnection::over(host, link)?))
            }
        }
    }
}
