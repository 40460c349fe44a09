//! The pump thread of one bastion: owns its session (non-blocking) and moves bytes between
//! each tunnel's `direct-tcpip` channel and its end of the socket pair, one channel open at
//! a time (libssh2 allows no more per session); sends the bastion's keepalives and
//! declares it lost when it falls silent or its connection ends.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ssh2::{BlockDirections, ErrorCode, Session};

use crate::jump::{Request, Shared, Tunnel};
use crate::{EAGAIN, KEEPALIVE_SLACK, Link};

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

pub(crate) struct Pump {
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
    pub fn new(
        shared: Arc<Shared>,
        (sess, link): (Session, Link),
        (rx, wake): (mpsc::Receiver<Request>, UnixStream),
        interval: Duration,
        count_max: u32,
    ) -> Pump {
        Pump {
            shared,
            sess,
            link,
            rx,
            wake,
            interval,
            count_max,
            tunnels: Vec::new(),
            opening: None,
            orphan: false,
        }
    }

    fn now_ms(&self) -> u64 {
        self.shared.epoch.elapsed().as_millis() as u64
    }

    pub fn run(mut self) {
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
                Ok(r) => {
                    if let Ok(mut o) = self.shared.opening.lock() {
                        *o = Some((r.id, Instant::now()));
                    }
                    self.opening = Some(r)
                }
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
                let req = self.take_opening();
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
                let req = self.take_opening();
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

    /// The request whose open just ended.
    fn take_opening(&mut self) -> Request {
        if let Ok(mut o) = self.shared.opening.lock() {
            *o = None;
        }
        self.opening.take().expect("an open in progress")
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
