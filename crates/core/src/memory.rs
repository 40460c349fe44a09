//! A [`RunStore`] in memory, for unit tests of the layers above (feature `memory`): runs,
//! locks with growing epochs, the audit chain as a list. Nothing is durable.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::record::{Header, Loaded, Record};
use crate::store::{AuditEntry, AuditLog, AuditVerdict, RunLock, RunLog, RunStore, StateError};

/// One run's records, shared between the store and whoever appends.
#[derive(Default)]
pub struct MemoryLog {
    records: Mutex<Vec<Record>>,
}

impl MemoryLog {
    /// Everything appended so far.
    pub fn records(&self) -> Vec<Record> {
        self.records.lock().expect("memory log").clone()
    }

    /// The records as the journal's JSON lines.
    pub fn text(&self) -> String {
        self.records()
            .iter()
            .map(|r| serde_json::to_string(r).expect("records serialize") + "\n")
            .collect()
    }
}

impl RunLog for MemoryLog {
    fn append_all(&self, records: &[Record]) -> Result<(), StateError> {
        self.records
            .lock()
            .expect("memory log")
            .extend_from_slice(records);
        Ok(())
    }
}

#[derive(Default)]
struct Runs {
    logs: BTreeMap<String, (Arc<MemoryLog>, String)>,
    order: Vec<String>,
    locks: BTreeMap<String, u64>,
    epoch: u64,
    answers: BTreeMap<String, Vec<crate::gate::GateAnswer>>,
}

/// The store.
#[derive(Default, Clone)]
pub struct MemoryStore {
    runs: Arc<Mutex<Runs>>,
    audit: Arc<MemoryAudit>,
}

/// The audit entries appended, in order.
#[derive(Default)]
pub struct MemoryAudit {
    pub entries: Mutex<Vec<AuditEntry>>,
}

impl AuditLog for MemoryAudit {
    fn append(&self, entry: AuditEntry) -> Result<(), StateError> {
        self.entries.lock().expect("audit").push(entry);
        Ok(())
    }
}

struct MemoryLock {
    runs: Arc<Mutex<Runs>>,
    name: String,
    epoch: u64,
}

impl RunLock for MemoryLock {
    fn took_over(&self) -> Option<&str> {
        None
    }

    fn epoch(&self) -> u64 {
        self.epoch
    }
}

impl Drop for MemoryLock {
    fn drop(&mut self) {
        self.runs.lock().expect("runs").locks.remove(&self.name);
    }
}

impl MemoryStore {
    /// A run's log, to inspect what was journaled.
    pub fn log(&self, run_id: &str) -> Option<Arc<MemoryLog>> {
        let runs = self.runs.lock().expect("runs");
        runs.logs.get(run_id).map(|(l, _)| l.clone())
    }

    /// Every audit entry so far.
    pub fn audit_entries(&self) -> Vec<AuditEntry> {
        self.audit.entries.lock().expect("audit").clone()
    }
}

impl RunStore for MemoryStore {
    fn holder(&self, name: &str) -> Option<crate::store::LockHolder> {
        let runs = self.runs.lock().expect("runs");
        runs.locks.get(name).map(|epoch| crate::store::LockHolder {
            run_id: String::new(),
            pid: std::process::id(),
            controller: "memory".into(),
            since: format!("epoch {epoch}"),
            alive: true,
            lease_ttl: None,
        })
    }

    fn lock(&self, name: &str, run_id: &str) -> Result<Box<dyn RunLock>, StateError> {
        let mut runs = self.runs.lock().expect("runs");
        if runs.locks.contains_key(name) {
            return Err(StateError::Locked(format!(
                "runbook `{name}` is locked (wanted by {run_id})"
            )));
        }
        runs.epoch += 1;
        let epoch = runs.epoch;
        runs.locks.insert(name.to_string(), epoch);
        Ok(Box::new(MemoryLock {
            runs: self.runs.clone(),
            name: name.to_string(),
            epoch,
        }))
    }

    fn create_run(&self, header: Header, runbook: &str) -> Result<Arc<dyn RunLog>, StateError> {
        let log = Arc::new(MemoryLog::default());
        log.append(&Record::Header(header.clone()))?;
        let mut runs = self.runs.lock().expect("runs");
        runs.order.push(header.run_id.clone());
        runs.logs
            .insert(header.run_id, (log.clone(), runbook.to_string()));
        Ok(log)
    }

    fn reopen_run(&self, run_id: &str) -> Result<Arc<dyn RunLog>, StateError> {
        let log = self
            .log(run_id)
            .ok_or_else(|| StateError::NoSuchRun(run_id.into()))?;
        Ok(log)
    }

    fn load_run(&self, run_id: &str) -> Result<Loaded, StateError> {
        let log = self
            .log(run_id)
            .ok_or_else(|| StateError::NoSuchRun(run_id.into()))?;
        let records = log.records();
        let Some(Record::Header(header)) = records.first().cloned() else {
            return Err(StateError::NoSuchRun(run_id.into()));
        };
        Ok(Loaded {
            header,
            records,
            torn_tail: false,
            epochs: Vec::new(),
            holders: Vec::new(),
        })
    }

    fn saved_runbook(&self, run_id: &str) -> Result<String, StateError> {
        let runs = self.runs.lock().expect("runs");
        runs.logs
            .get(run_id)
            .map(|(_, text)| text.clone())
            .ok_or_else(|| StateError::NoSuchRun(run_id.into()))
    }

    fn list_runs(&self) -> Result<Vec<String>, StateError> {
        Ok(self.runs.lock().expect("runs").order.clone())
    }

    fn audit(&self) -> Arc<dyn AuditLog> {
        self.audit.clone()
    }

    fn verify_audit(&self) -> Result<AuditVerdict, StateError> {
        let n = self.audit.entries.lock().expect("audit").len() as u64;
        Ok(AuditVerdict::Intact { entries: n })
    }

    fn location(&self) -> String {
        "memory".into()
    }

    fn post_answer(
        &self,
        run_id: &str,
        answer: &crate::gate::GateAnswer,
    ) -> Result<(), StateError> {
        let mut runs = self.runs.lock().expect("runs");
        if !runs.logs.contains_key(run_id) {
            return Err(StateError::NoSuchRun(run_id.into()));
        }
        runs.answers
            .entry(run_id.to_string())
            .or_default()
            .push(answer.clone());
        Ok(())
    }

    fn answers(&self, run_id: &str) -> Result<Vec<crate::gate::GateAnswer>, StateError> {
        let runs = self.runs.lock().expect("runs");
        Ok(runs.answers.get(run_id).cloned().unwrap_or_default())
    }
}
