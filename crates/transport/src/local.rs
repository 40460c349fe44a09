//! The `local` transport: commands run on the controller through `sh -c`, each in its own
//! process group so a timeout kills everything it started.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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
        Ok(TransferResult { bytes, sha256: got })
    }
}

fn reader(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

impl Connection for LocalConnection {
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
        let out = reader(child.stdout.take().expect("piped"));
        let err = reader(child.stderr.take().expect("piped"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        match rx.recv_timeout(spec.timeout) {
            Ok(status) => {
                let status = status.map_err(|e| TransportError::Lost {
                    host: self.host.clone(),
                    msg: e.to_string(),
                })?;
                use std::os::unix::process::ExitStatusExt;
                let exit = status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
                Ok(Output {
                    exit,
                    stdout: out.join().unwrap_or_default(),
                    stderr: err.join().unwrap_or_default(),
                })
            }
            Err(_) => {
                // Kill the whole process group: TERM, then KILL.
                // SAFETY: kill(2) takes plain integers and touches no memory of ours;
                // `-pid` names the process group this command was started in.
                unsafe { libc::kill(-pid, libc::SIGTERM) };
                if rx.recv_timeout(Duration::from_secs(2)).is_err() {
                    // SAFETY: as above.
                    unsafe { libc::kill(-pid, libc::SIGKILL) };
                    let _ = rx.recv_timeout(Duration::from_secs(2));
                }
                let partial = Output {
                    exit: -1,
                    stdout: out.join().unwrap_or_default(),
                    stderr: err.join().unwrap_or_default(),
                };
                Err(TransportError::Timeout {
                    host: self.host.clone(),
                    after: spec.timeout,
                    partial: Box::new(partial),
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
}
