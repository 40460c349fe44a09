//! Privilege escalation ("become"): running a host's commands as another account through
//! `sudo` (or `su`), the way operators reach `root` or `postgres` on real hosts. The
//! inventory's settings live on [`Host`](crate::Host) as [`BecomeConfig`]; the engine turns
//! them (with a step's overrides and the rendered password) into a [`Become`] for each
//! command or transfer.

use std::fmt;

/// How the login account becomes another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BecomeMethod {
    /// `sudo -u USER` (the default); a password goes to sudo on stdin (`-S`).
    #[default]
    Sudo,
    /// `su USER`; only without a password (su reads passwords from a terminal only).
    Su,
}

impl BecomeMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sudo => "sudo",
            Self::Su => "su",
        }
    }
}

/// Whether commands run as another account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BecomeSwitch {
    #[default]
    Off,
    On,
}

/// The inventory's `become*` keys for one host (defaults applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BecomeConfig {
    pub switch: BecomeSwitch,
    /// `become_user`, default `root`.
    pub user: String,
    pub method: BecomeMethod,
    /// `become_password`: a template (`{{ var }}` naming a secret var), rendered per run.
    pub password: Option<String>,
}

impl Default for BecomeConfig {
    fn default() -> Self {
        Self {
            switch: BecomeSwitch::Off,
            user: "root".into(),
            method: BecomeMethod::Sudo,
            password: None,
        }
    }
}

/// A secret that never shows itself in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The value itself, to be written where it is needed (sudo's stdin) and nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

/// What one command or transfer runs as: resolved from the host's [`BecomeConfig`] and
/// the step's `become`/`become_user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Become {
    pub user: String,
    pub method: BecomeMethod,
    pub password: Option<Secret>,
}

impl Become {
    /// A short description for messages: `sudo to root`.
    pub fn describe(&self) -> String {
        format!("{} to {}", self.method.as_str(), self.user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_itself() {
        let b = Become {
            user: "root".into(),
            method: BecomeMethod::Sudo,
            password: Some(Secret::new("hunter2")),
        };
        assert!(!format!("{b:?}").contains("hunter2"));
        assert_eq!(b.describe(), "sudo to root");
    }
}
