//! How to reach one host: address, account, keys and the transport's settings, with the
//! inventory's defaults already applied.

use std::path::PathBuf;
use std::time::Duration;

/// The built-in controller host.
pub const LOCAL: &str = "local";

/// How a host is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Ssh,
    Local,
}

/// What to do with a host key that is not in known_hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Unknown or changed key: refuse (the default).
    Strict,
    /// Unknown key: record it in known_hosts and go on; changed key: refuse.
    AcceptNew,
}

/// How commands reach an SSH host's shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecMode {
    /// One long-lived shell per host, a fork per command (the default; falls back to
    /// `Channel` by itself when the host's shell cannot be driven).
    Shell,
    /// A new SSH channel (`exec` request) per command.
    Channel,
}

/// One host, with inventory defaults applied.
#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub addr: String,
    pub port: u16,
    pub user: String,
    pub identity: Option<PathBuf>,
    pub known_hosts: PathBuf,
    pub transport: TransportKind,
    pub connect_timeout: Duration,
    /// An SSH keepalive (reply expected) goes out every `keepalive_interval` while a
    /// command runs; a host that answers nothing for `keepalive_interval ×
    /// keepalive_count_max` is lost, the command's outcome in doubt.
    pub keepalive_interval: Duration,
    pub keepalive_count_max: u32,
    pub host_key_policy: HostKeyPolicy,
    pub exec_mode: ExecMode,
    /// Bastions to go through to reach this host, first hop first (empty: connect
    /// directly). Each hop is a whole host of its own (address, account, keys, known_hosts,
    /// timeouts), reached through the hops before it.
    pub proxy_jump: Vec<Host>,
    /// `become`, `become_user`, `become_method`, `become_password`.
    pub privilege: crate::privilege::BecomeConfig,
}

impl Host {
    /// The controller itself.
    pub fn local() -> Self {
        Host {
            name: LOCAL.into(),
            addr: "127.0.0.1".into(),
            port: 0,
            user: current_user(),
            identity: None,
            known_hosts: PathBuf::new(),
            transport: TransportKind::Local,
            connect_timeout: Duration::from_secs(5),
            keepalive_interval: Duration::from_secs(5),
            keepalive_count_max: 3,
            host_key_policy: HostKeyPolicy::Strict,
            exec_mode: ExecMode::Shell,
            proxy_jump: Vec::new(),
            privilege: Default::default(),
        }
    }
}

/// The user drctl runs as.
pub fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "root".into())
}
