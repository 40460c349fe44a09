//! The seams a run's state goes through: a [`RunStore`] (where runs, locks and the audit
//! chain live: a local directory by default), the [`RunLog`] of one run, its [`RunLock`]
//! and the [`AuditLog`]. Implementations live in their own crates; the engine and the
//! session see only these traits.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::gate::GateAnswer;
use crate::record::{Header, Loaded, Record};

/// Errors of the state layer.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: corrupt journal record: {msg}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    #[error(
        "{path}: written by a newer drctl (journal version {found}, this drctl reads {supported})"
    )]
    FutureVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("no run `{0}` in the state directory")]
    NoSuchRun(String),
    #[error("{0}")]
    Locked(String),
    /// The state directory is not safe to use: a symlink where drctl's own file or folder
    /// belongs, a folder another user can write, not a regular file.
    #[error("{0}")]
    Unsafe(String),
    /// This controller lost its lock (its lease expired, another controller took the run
    /// over): it must send no further command.
    #[error("fenced: another controller owns run {run_id}{detail}")]
    Fenced { run_id: String, detail: String },
    /// A remote store (etcd) could not be reached or refused the request.
    #[error("{location}: {msg}")]
    Remote { location: String, msg: String },
}

/// Held for the life of a run; dropping it releases the lock.
pub trait RunLock: Send + Sync {
    /// Set when a previous holder had died without cleaning up: what happened to it.
    fn took_over(&self) -> Option<&str>;
    /// Fencing epoch: a number that only grows from one holder to the next.
    fn epoch(&self) -> u64;
    /// Set once the lock is known to be lost (lease expired, taken over): what happened.
    /// A local lock is never lost while its holder lives.
    fn lost(&self) -> Option<String> {
        None
    }
}

/// One run's journal, open for appending. Every append is durable when it returns.
pub trait RunLog: Send + Sync {
    /// Append records and return once they are durable (group commit is the store's).
    fn append_all(&self, records: &[Record]) -> Result<(), StateError>;

    fn append(&self, record: &Record) -> Result<(), StateError> {
        self.append_all(std::slice::from_ref(record))
    }
}

/// The tamper-evident audit chain shared by all runs of a store.
pub trait AuditLog: Send + Sync {
    /// Append one entry (its `seq`, `t` and `prev` are filled in by the log).
    fn append(&self, entry: AuditEntry) -> Result<(), StateError>;
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerdict {
    Intact { entries: u64 },
    Broken { line: usize, reason: String },
}

/// Who holds a runbook's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub run_id: String,
    pub pid: u32,
    pub controller: String,
    pub since: String,
    /// Known to be alive (false: dead, or on another controller drctl cannot check).
    pub alive: bool,
    /// Shared state: the TTL the holder's lease was granted (a takeover waits at most
    /// this long for it to expire); `None` for a local lock.
    pub lease_ttl: Option<std::time::Duration>,
}

/// Where runs live: locks, journals, saved runbook copies and the audit chain.
pub trait RunStore: Send + Sync {
    /// Who holds runbook `name`'s lock now, if anyone (without taking it).
    fn holder(&self, name: &str) -> Option<LockHolder>;
    /// Take the lock of runbook `name` for `run_id` (refused: [`StateError::Locked`]).
    fn lock(&self, name: &str, run_id: &str) -> Result<Box<dyn RunLock>, StateError>;
    /// Create a new run: its journal starting with `header`, and the runbook's text saved.
    fn create_run(&self, header: Header, runbook: &str) -> Result<Arc<dyn RunLog>, StateError>;
    /// Open an existing run's journal to append to (resume, rollback).
    fn reopen_run(&self, run_id: &str) -> Result<Arc<dyn RunLog>, StateError>;
    /// Read a run's journal back.
    fn load_run(&self, run_id: &str) -> Result<Loaded, StateError>;
    /// The copy of the runbook saved when the run started.
    fn saved_runbook(&self, run_id: &str) -> Result<String, StateError>;
    /// Every run id, oldest first (the last is the latest run).
    fn list_runs(&self) -> Result<Vec<String>, StateError>;
    /// The audit chain.
    fn audit(&self) -> Arc<dyn AuditLog>;
    /// Check the audit chain from its first entry to its head.
    fn verify_audit(&self) -> Result<AuditVerdict, StateError>;
    /// Where the store is, for messages.
    fn location(&self) -> String;
    /// Post an answer to a gate a run waits at (`drctl approve`/`decline`); durable when
    /// it returns. The run reads it with [`RunStore::answers`].
    fn post_answer(&self, run_id: &str, answer: &GateAnswer) -> Result<(), StateError>;
    /// Every answer posted to a run's gates, oldest first.
    fn answers(&self, run_id: &str) -> Result<Vec<GateAnswer>, StateError>;
    /// Where the audit chain is, for `audit verify`'s messages (`FILE:LINE` names a line).
    fn audit_location(&self) -> String {
        self.location()
    }
}

/// One audited action: who did what, where, with which result.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct AuditEntry {
    pub seq: u64,
    pub t: String,
    pub who: String,
    /// The person behind sudo (`SUDO_USER`) when it differs from `who`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo_user: Option<String>,
    pub controller: String,
    pub run_id: String,
    pub runbook: String,
    pub action: String,
    #[serde(default)]
    pub step: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    /// Secrets masked.
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub exit: Option<i32>,
    #[serde(default)]
    pub digest: Option<String>,
    /// The fencing epoch of the lock the run held when this was recorded (absent: none,
    /// or an entry older than epochs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    pub prev: String,
}
