//! How commands reach hosts: a [`Connector`] opens one [`Connection`] per host for the whole
//! run; every step's command goes over it. Here: the traits, the host description, `local`
//! (the controller) and `fake` (scripted, for unit tests; feature `fake`). SSH lives in
//! `drctl-ssh`.

// Transport errors carry the partial output; returned once per command, never in a hot loop.
#![allow(clippy::result_large_err)]

pub mod capture;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub mod host;
pub mod local;
pub mod privilege;

pub use host::{ExecMode, Host, HostKeyPolicy, LOCAL, TransportKind, current_user};
pub use privilege::{Become, BecomeConfig, BecomeMethod, BecomeSwitch, Secret};

use std::path::Path;
use std::time::Duration;

/// A command to run on a host.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    /// Shell command text, run through the host's login shell.
    pub command: String,
    /// Extra environment variables, exported before the command.
    pub env: Vec<(String, String)>,
    /// Hard limit: past it the remote command is killed and the call returns `Timeout`.
    pub timeout: Duration,
}

impl CommandSpec {
    /// The command with `export` lines for its environment, as sent to the shell.
    pub fn script(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.env {
            s.push_str(&format!("export {k}={}; ", shell_quote(v)));
        }
        s.push_str(&self.command);
        s
    }
}

/// What a finished command produced. The text of each stream is bounded (see
/// [`capture`]): the whole stream up to `2 × capture::KEEP` bytes, else both its ends.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub exit: i32,
    pub stdout: String,
    pub stderr: String,
    /// Bytes each stream really had (0: unknown, the text is the whole stream).
    pub stdout_len: u64,
    pub stderr_len: u64,
    /// [`capture::digest`] of the whole streams, computed while they streamed; empty: the
    /// texts are whole and [`Output::digest`] computes it from them.
    pub digest: String,
}

impl Output {
    /// From two captured streams.
    pub fn from_streams(exit: i32, out: capture::Stream, err: capture::Stream) -> Self {
        Output {
            exit,
            digest: capture::digest(&out.sha256, &err.sha256),
            stdout: out.text,
            stderr: err.text,
            stdout_len: out.len,
            stderr_len: err.len,
        }
    }

    /// The digest of the whole output, for the journal.
    pub fn digest(&self) -> String {
        if self.digest.is_empty() {
            capture::digest(
                &sha256_hex(self.stdout.as_bytes()),
                &sha256_hex(self.stderr.as_bytes()),
            )
        } else {
            self.digest.clone()
        }
    }

    /// Was stdout longer than what is kept of it?
    pub fn stdout_cut(&self) -> bool {
        self.stdout_len > 2 * capture::KEEP as u64
    }
}

/// Why a host could not be used or a command did not finish.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    #[error("{host}: cannot connect to {addr}: {msg}")]
    Connect {
        host: String,
        addr: String,
        msg: String,
    },
    #[error("{host}: host key is not in {known_hosts} (refusing; {fingerprint})")]
    UnknownHostKey {
        host: String,
        known_hosts: String,
        fingerprint: String,
    },
    #[error(
        "{host}: HOST KEY CHANGED, possible impersonation (refusing; now {fingerprint}, see {known_hosts})"
    )]
    ChangedHostKey {
        host: String,
        known_hosts: String,
        fingerprint: String,
    },
    /// known_hosts revokes the key the host presented (`@revoked`): never accepted.
    #[error("{host}: host key is REVOKED in {known_hosts} line {line} (refusing; {fingerprint})")]
    RevokedHostKey {
        host: String,
        known_hosts: String,
        line: usize,
        fingerprint: String,
    },
    /// known_hosts trusts a certificate authority for the host (`@cert-authority`) and lists
    /// no key of its own; host certificates cannot be checked over libssh2.
    #[error(
        "{host}: {known_hosts} line {line} trusts a certificate authority for this host, and drctl cannot check host certificates (refusing; the host presented {fingerprint})"
    )]
    CertAuthorityOnly {
        host: String,
        known_hosts: String,
        line: usize,
        fingerprint: String,
    },
    #[error("{host}: authentication failed for user `{user}`: {msg}")]
    Auth {
        host: String,
        user: String,
        msg: String,
    },
    #[error("{host}: timed out after {after:?}")]
    Timeout {
        host: String,
        after: Duration,
        partial: Box<Output>,
    },
    /// The connection was lost before the command was sent: it did not run.
    #[error("{host}: connection lost: {msg}")]
    Lost { host: String, msg: String },
    /// The connection was lost after the command was sent: whether it ran, and how far,
    /// is unknown (exactly as after a controller crash).
    #[error("{host}: connection lost while the command ran ({msg}); its outcome is unknown")]
    InDoubt {
        host: String,
        msg: String,
        partial: Box<Output>,
    },
    #[error("{host}: file transfer failed: {msg}")]
    Transfer { host: String, msg: String },
    /// The login account could not become another (`become`): wrong or missing password,
    /// no sudoers rule. Nothing of the command ran.
    #[error("{host}: become failed ({how}): {msg}")]
    Become {
        host: String,
        how: String,
        msg: String,
    },
}

impl TransportError {
    /// Host-key problems refuse the run (exit 4) rather than fail a step.
    pub fn is_host_key(&self) -> bool {
        matches!(
            self,
            Self::UnknownHostKey { .. }
                | Self::ChangedHostKey { .. }
                | Self::RevokedHostKey { .. }
                | Self::CertAuthorityOnly { .. }
        )
    }

    /// What the operator should do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::UnknownHostKey { known_hosts, .. } => Some(format!(
                "verify the fingerprint out of band, then add the key to {known_hosts} (e.g. `ssh-keyscan -p PORT ADDR >> {known_hosts}`), or set `host_key_checking: accept-new` in the inventory"
            )),
            Self::ChangedHostKey { known_hosts, .. } => Some(format!(
                "if the host was really rebuilt, remove its old line from {known_hosts} and add the new key"
            )),
            Self::RevokedHostKey { .. } => Some(
                "the key was revoked on purpose: do not connect until the host has a new key, verified out of band".into(),
            ),
            Self::CertAuthorityOnly { known_hosts, .. } => Some(format!(
                "verify the fingerprint out of band and add the host's own key to {known_hosts}"
            )),
            Self::Become { .. } => Some(
                "check the sudoers rule for the login user and `become_password` (a secret var) in the inventory".into(),
            ),
            Self::Auth { .. } => {
                Some("load the key into ssh-agent or set `identity:` in the inventory".into())
            }
            _ => None,
        }
    }
}

/// How a file moved, for the journal.
#[derive(Debug, Clone)]
pub struct TransferResult {
    pub bytes: u64,
    pub sha256: String,
    /// Bytes already in place from an interrupted transfer, not sent again.
    pub resumed_from: u64,
}

/// One open connection to one host. Not shared between threads at once.
pub trait Connection: Send {
    fn exec(&mut self, spec: &CommandSpec) -> Result<Output, TransportError>;
    /// Copy a local file to `remote`, set `mode`, and verify its sha256 on the host.
    fn upload(
        &mut self,
        local: &Path,
        remote: &str,
        mode: u32,
        timeout: Duration,
    ) -> Result<TransferResult, TransportError>;
    /// Copy `remote` to a local file (written atomically) and verify its sha256.
    fn download(
        &mut self,
        remote: &str,
        local: &Path,
        timeout: Duration,
    ) -> Result<TransferResult, TransportError>;
    /// Run the following commands and transfers as another account (`None`: as the login
    /// user). Transports that cannot refuse.
    fn set_become(&mut self, become_as: Option<&Become>) -> Result<(), TransportError> {
        match become_as {
            None => Ok(()),
            Some(b) => Err(TransportError::Become {
                host: String::new(),
                how: b.describe(),
                msg: "this transport cannot run commands as another user".into(),
            }),
        }
    }
}

/// Opens connections.
pub trait Connector: Send + Sync {
    fn connect(&self, host: &Host) -> Result<Box<dyn Connection>, TransportError>;
}

pub use drctl_core::time::sha256_hex;

/// Quote a string for a POSIX shell; safe words stay as they are (like Python's shlex.quote).
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// sha256 of a file, streaming.
pub fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    Ok((n, hex::encode(h.finalize())))
}
