//! SSH over libssh2 (ssh2): one session per host for the whole run, `TCP_NODELAY` on the
//! socket, strict known_hosts checking, agent then identity-file auth. Commands go to one
//! long-lived remote shell per host (framing in `remote_shell`), so a step costs the host a
//! fork instead of a new SSH channel, session process and login shell. Everything runs
//! non-blocking against a deadline, so a hung host never stalls drctl; on a timeout the
//! command's remote process group is killed over a second channel and the shell replaced.
//! `become` (sudo/su) gets a shell of its own per account, see `escalate`.

// Transport errors carry the partial output; returned once per command, never in a hot loop.
#![allow(clippy::result_large_err)]

use std::path::Path;
use std::time::{Duration, Instant};

use ssh2::Session;

mod auth;
mod channel_capture;
mod escalate;
mod exec;
mod jump;
mod known_hosts;
mod link;
mod pump;
pub mod remote_shell;
mod session;
mod transfer;

use channel_capture::{ChannelCapture, pump, signal_number};
use drctl_transport::{
    Become, CommandSpec, Connection, ExecMode, Host, Output, TransferResult, TransportError,
};
use link::Link;
pub use link::RealConnector;

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
