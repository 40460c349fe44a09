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
    /// The fencing epoch each record was written under, in the order of `records` (0: none
    /// recorded — a local directory, or an older journal; may be shorter than `records`).
    pub epochs: Vec<u64>,
    /// Every controller that held the run's lock, oldest first: the first one and each that
    /// took the run over (a store that keeps no such list leaves it empty).
    pub holders: Vec<Holder>,
}

impl Loaded {
    /// The fencing epoch record `i` was written under (0: none recorded).
    pub fn epoch_of(&self, i: usize) -> u64 {
        self.epochs.get(i).copied().unwrap_or(0)
    }
}

/// A controller that held a run's lock, and from when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub epoch: u64,
    pub controller: String,
    pub user: String,
    pub pid: u32,
    pub since: String,
}

/// A record as one stored line: its JSON with `"epoch":N` added when `epoch` is not 0.
pub fn stamped_line(r: &Record, epoch: u64) -> Result<String, serde_json::Error> {
    let mut line = serde_json::to_string(r)?;
    if epoch > 0 && line.ends_with('}') {
        line.pop();
        line.push_str(&format!(",\"epoch\":{epoch}}}"));
    }
    Ok(line)
}

/// The epoch a stored line was stamped with (0: none; older journals have none).
pub fn line_epoch(line: &[u8]) -> u64 {
    #[derive(Deserialize)]
    struct E {
        #[serde(default)]
        epoch: u64,
    }
    serde_json::from_slice::<E>(line).map_or(0, |e| e.epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamped_line_reads_back_as_the_record_with_its_epoch() {
        let r = Record::Skipped {
            t: "2026-01-01T00:00:00Z".into(),
            step: "s1".into(),
            reason: "when".into(),
        };
        let line = stamped_line(&r, 42).unwrap();
        assert_eq!(line_epoch(line.as_bytes()), 42);
        let back: Record = serde_json::from_str(&line).unwrap();
        assert!(matches!(back, Record::Skipped { step, .. } if step == "s1"));
        // No epoch: the line is the record's JSON as before; older lines read as 0.
        let plain = stamped_line(&r, 0).unwrap();
        assert_eq!(plain, serde_json::to_string(&r).unwrap());
        assert_eq!(line_epoch(plain.as_bytes()), 0);
    }
}
