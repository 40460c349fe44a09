//! The journal's records: the one vocabulary a run is written in. The engine emits them,
//! every store keeps them, the checkpoint and the reports are derived from them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::gate::{Identity, Verdict};
use crate::outcome::{Decision, Outcome, Phase, RunMode};

/// Journal format version this drctl writes and reads.
pub const JOURNAL_VERSION: u32 = 1;

/// The first record: what was run, how, by whom.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub version: u32,
    pub run_id: String,
    pub runbook: String,
    pub runbook_sha256: String,
    pub name: String,
    pub kind: String,
    pub mode: RunMode,
    pub severity: Option<String>,
    pub started_at: String,
    pub user: String,
    /// The person behind sudo (`SUDO_USER`) when it differs from `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo_user: Option<String>,
    /// The drctl that started the run (`0.1.0 (commit abc123)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drctl_version: Option<String>,
    pub controller: String,
    pub pid: u32,
    pub inventory: Option<String>,
    /// `-e` values; secret ones are not stored and must be given again to resume.
    pub vars: BTreeMap<String, String>,
    pub limit: Option<Vec<String>>,
    pub rto_ms: Option<u64>,
}

/// `root (sudo from alice)`, or the user alone: how reports and messages name who ran drctl.
pub fn who(user: &str, sudo_user: Option<&str>) -> String {
    match sudo_user {
        Some(s) => format!("{user} (sudo from {s})"),
        None => user.to_string(),
    }
}

/// One journal record. `t` is RFC 3339 UTC.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum Record {
    Header(Header),
    /// Written before the command is sent.
    Started {
        t: String,
        step: String,
        host: String,
        phase: Phase,
    },
    Finished {
        t: String,
        step: String,
        host: String,
        phase: Phase,
        ok: bool,
        exit: Option<i32>,
        attempts: u32,
        duration_ms: u64,
        /// sha256 of stdout and stderr.
        digest: String,
        error: Option<String>,
        stdout_tail: String,
        stderr_tail: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        captured: Option<(String, String)>,
        /// The command as run, secrets masked (the audit chain's entry is derived from it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<String>,
        /// The connection dropped while the command ran: whether it took effect is unknown,
        /// exactly as after a controller crash (the step stays in flight on this host).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        in_doubt: bool,
    },
    Skipped {
        t: String,
        step: String,
        reason: String,
    },
    Gate {
        t: String,
        step: String,
        approved_by: String,
        /// The approval message as shown, secrets masked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// The run waits at a gate for answers from other terminals (`drctl approve`,
    /// `drctl decline`); `until` is when it stops waiting (none: as long as a terminal
    /// prompt is open).
    GateWait {
        t: String,
        step: String,
        /// Distinct persons whose approval the gate needs.
        approvers: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<String>,
    },
    /// An answer given from another terminal, as the waiting run received it.
    Answer {
        /// When it was given.
        t: String,
        step: String,
        verdict: Verdict,
        by: Identity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// False when it did not count: the same person had already approved this gate.
        counted: bool,
    },
    StepEnd {
        t: String,
        step: String,
        phase: Phase,
        ok: bool,
        failed_hosts: Vec<String>,
        duration_ms: u64,
    },
    RollbackBegin {
        t: String,
        reason: String,
        /// The operator asked for it (`drctl rollback`), rather than a failed step.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        requested: bool,
    },
    /// The operator chose, on resume, what to do with a step left in flight.
    Decision {
        t: String,
        step: String,
        host: String,
        decision: Decision,
        /// Who decided: absent for the operator's `--rerun`/`--skip` (or an idempotent
        /// step), `check` when the step's `check:` settled it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        /// Forward step or its rollback (older journals: forward).
        #[serde(default = "Phase::forward")]
        phase: Phase,
    },
    /// A `notify:` message could not be delivered (receiver down, refused, gave up after
    /// its retries). Never a secret: the url is masked, the error is the client's.
    NotifyFailed {
        t: String,
        url: String,
        event: String,
        error: String,
    },
    RunEnd {
        t: String,
        outcome: Outcome,
        exit: i32,
        message: String,
    },
}

/// A journal read back from disk.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub header: Header,
    pub records: Vec<Record>,
    /// A last line cut short by a crash was dropped.
    pub torn_tail: bool,
}
