//! The `local` transport: commands run on the controller through `sh -c`, each in its own
//! process group so a timeout kills everything it started.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::capture::Capture;
use super::{CommandSpec, Connection, Output, TransferResult, TransportError, sha256_file};

pub struct LocalConnection {
    host: String,
}

impl LocalConnection {
    pub fn new(host: &str) -> Self {
        Self {
            host: host.to_string(),
        }
    }

    fn transfer_err(&self, msg: impl std::fmt::Display) -> TransportError {
        TransportError::Transfer {
            host: self.host.clone(),
            msg: msg.to_string(),
        }
    }

    fn copy(
        &self,
        from: &Path,
        to: &Path,
        mode: Option<u32>,
    ) -> Result<TransferResult, TransportError> {
        use std::os::unix::fs::PermissionsExt;
        let dir = to
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| self.transfer_err(format!("{}: {e}", dir.display())))?;
        std::fs::copy(from, tmp.path())
            .map_err(|e| self.transfer_err(format!("{}: {e}", from.display())))?;
        if let Some(m) = mode {
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(m))
                .map_err(|e| self.transfer_err(e))?;
        }
        let (_, want) = sha256_file(from).map_err(|e| self.transfer_err(e))?;
        let (bytes, got) = sha256_file(tmp.path()).map_err(|e| self.transfer_err(e))?;
        if want != got {
            return Err(self.transfer_err(format!("checksum mismatch: sent {want}, wrote {got}")));
        }
        tmp.persist(to)
            .map_err(|e| self.transfer_err(format!("{}: {e}", to.display())))?;
        Ok(TransferResult {
            bytes,
            sha256: got,
            resumed_from: 0,
        })
    }
}

/// Make a descriptor non-blocking.
fn nonblocking(fd: i32) {
    // SAFETY: fcntl on a descriptor we own, with plain integer arguments.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// Read what a non-blocking pipe has into `cap`; false once it reached its end.
fn drain(r: &mut impl Read, cap: &mut Capture) -> bool {
    let mut buf = [0u8; 64 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => cap.push(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

impl Connection for LocalConnection {
    /// Output is captured bounded while it streams. The command ends when its own process
    /// ends (or at its timeout): what it wrote before is all read, and a background job it
    /// left (a daemon keeping the pipes open) is neither waited for nor charged to it.
    fn exec(&mut self, spec: &CommandSpec) -> Result<Output, TransportError> {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(spec.script())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| TransportError::Lost {
                host: self.host.clone(),
                msg: format!("cannot start /bin/sh: {e}"),
            })?;
        let pid = child.id() as i32;
        let mut out = child.stdout.take().expect("piped");
        let mut err = child.stderr.take().expect("piped");
        nonblocking(out.as_raw_fd());
        nonblocking(err.as_raw_fd());
        // The child's end is told through a pipe, so one poll waits for output or the end.
        let (wake_r, wake_w) = std::io::pipe().map_err(|e| TransportError::Lost {
            host: self.host.clone(),
            msg: e.to_string(),
        })?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let st = child.wait();
            let _ = tx.send(st);
            drop(wake_w);
        });
        let (mut co, mut ce) = (Capture::default(), Capture::default());
        let (mut out_open, mut err_open) = (true, true);
        let deadline = Instant::now() + spec.timeout;
        let status = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break None;
            }
            let mut fds = [
                libc::pollfd {
                    fd: wake_r.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: if out_open { out.as_raw_fd() } else { -1 },
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: if err_open { err.as_raw_fd() } else { -1 },
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            let ms = left.as_millis().clamp(1, 1000) as i32;
            // SAFETY: `fds` is a valid array of three initialised pollfds for the call.
            unsafe { libc::poll(fds.as_mut_ptr(), 3, ms) };
            if out_open {
                out_open = drain(&mut out, &mut co);
            }
            if err_open {
                err_open = drain(&mut err, &mut ce);
            }
            if fds[0].revents != 0 {
                // The command's own process ended: what it wrote is in the pipes now.
                let st = rx.recv().ok();
                if out_open {
                    drain(&mut out, &mut co);
                }
                if err_open {
                    drain(&mut err, &mut ce);
                }
                break st;
            }
        };
        match status {
            Some(status) => {
                let status = status.map_err(|e| TransportError::Lost {
                    host: self.host.clone(),
                    msg: e.to_string(),
                })?;
                use std::os::unix::process::ExitStatusExt;
                let exit = status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
                Ok(Output::from_streams(exit, co.finish(), ce.finish()))
            }
            None => {
                // Kill the whole process group: TERM, then KILL.
                // SAFETY: kill(2) takes plain integers and touches no memory of ours;
                // `-pid` names the process group this command was started in.
                unsafe { libc::kill(-pid, libc::SIGTERM) };
                if rx.recv_timeout(Duration::from_secs(2)).is_err() {
                    // SAFETY: as above.
                    unsafe { libc::kill(-pid, libc::SIGKILL) };
                    let _ = rx.recv_timeout(Duration::from_secs(2));
                }
                drain(&mut out, &mut co);
                drain(&mut err, &mut ce);
                Err(TransportError::Timeout {
                    host: self.host.clone(),
                    after: spec.timeout,
                    partial: Box::new(Output::from_streams(-1, co.finish(), ce.finish())),
                })
            }
        }
    }

    fn upload(
        &mut self,
        local: &Path,
        remote: &str,
        mode: u32,
        _timeout: Duration,
    ) -> Result<TransferResult, TransportError> {
        self.copy(local, Path::new(remote), Some(mode))
    }

    fn download(
        &mut self,
        remote: &str,
        local: &Path,
        _timeout: Duration,
    ) -> Result<TransferResult, TransportError> {
        self.copy(Path::new(remote), local, None)
    }

    /// `become` on the controller is refused (validate says so first): drctl does not
    /// sudo on the machine it runs on; run drctl itself as the account instead.
    fn set_become(&mut self, become_as: Option<&crate::Become>) -> Result<(), TransportError> {
        match become_as {
            None => Ok(()),
            Some(b) => Err(TransportError::Become {
                host: self.host.clone(),
                how: b.describe(),
                msg: "become is not supported on the local transport: run drctl itself as that account".into(),
            }),
        }
    }
}
