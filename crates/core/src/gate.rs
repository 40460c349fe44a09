//! Answers to approval gates given from another terminal (`drctl approve`, `drctl decline`):
//! who answered (user, the sudo user behind it, uid), from where (controller, tty), when,
//! and why. The run waiting at the gate reads them through the store and journals them.

use serde::{Deserialize, Serialize};

/// Approve or decline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Approve,
    Decline,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Approve => "approve",
            Verdict::Decline => "decline",
        })
    }
}

/// Who gave an answer, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `USER` (else `LOGNAME`), as for the operator of a run.
    pub user: String,
    /// `SUDO_USER` when drctl was started through sudo: the person behind `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo_user: Option<String>,
    /// The real uid of the answering process.
    pub uid: u32,
    /// The controller (host name) the answer was given on.
    pub host: String,
    /// The terminal it was typed on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty: Option<String>,
    pub pid: u32,
}

impl Identity {
    /// The person who answered: the sudo user if any, else the user. Four-eyes gates
    /// count distinct persons.
    pub fn person(&self) -> &str {
        self.sudo_user.as_deref().unwrap_or(&self.user)
    }

    /// `alice on ctl1 (/dev/pts/3)`, `root (sudo by alice) on ctl1`.
    pub fn describe(&self) -> String {
        let who = match &self.sudo_user {
            Some(s) if s != &self.user => format!("{} (sudo by {s})", self.user),
            _ => self.user.clone(),
        };
        match &self.tty {
            Some(tty) => format!("{who} on {} ({tty})", self.host),
            None => format!("{who} on {}", self.host),
        }
    }
}

/// One answer posted to a waiting gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateAnswer {
    /// When it was given (RFC 3339 UTC).
    pub t: String,
    pub step: String,
    /// The `t` of the `gate_wait` journal record it answers: an answer to an earlier wait
    /// (which expired) never counts for a later one.
    pub wait: String,
    pub verdict: Verdict,
    pub by: Identity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_person_is_the_sudo_user_when_there_is_one() {
        let mut id = Identity {
            user: "root".into(),
            sudo_user: Some("alice".into()),
            uid: 0,
            host: "ctl".into(),
            tty: Some("/dev/pts/1".into()),
            pid: 1,
        };
        assert_eq!(id.person(), "alice");
        assert_eq!(id.describe(), "root (sudo by alice) on ctl (/dev/pts/1)");
        id.sudo_user = None;
        assert_eq!(id.person(), "root");
    }
}
