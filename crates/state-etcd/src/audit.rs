//! The audit hash chain in etcd: `audit/entries/SEQ` and `audit/head`, every append one
//! transaction conditional on the head; `audit verify` walks it; a directory's chain is
//! imported verbatim (same lines, same hashes) by `state migrate`.

use std::sync::{Condvar, Mutex};

use etcd_client::{Client, Compare, CompareOp, Txn, TxnOp};
use serde::{Deserialize, Serialize};

use drctl_core::store::{AuditEntry, AuditLog, AuditVerdict, RunStore, StateError};
use drctl_core::time::{now_rfc3339, sha256_hex};

use crate::rpc;
use crate::{EtcdStore, GENESIS, wait_on};

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AuditHead {
    count: u64,
    last: String,
}

/// The audit chain in etcd. Appends are group-committed: concurrent entries (one per
/// host of a wave) go into one transaction, conditional on the head not having moved since
/// it was read (another controller's append moves it: then the batch is chained again).
pub(crate) struct EtcdAudit {
    pub(crate) handle: tokio::runtime::Handle,
    pub(crate) client: Client,
    pub(crate) url: String,
    /// `PREFIX/audit/`
    pub(crate) prefix: String,
    pub(crate) pending: Mutex<AuditPending>,
    pub(crate) cv: Condvar,
    /// The head this controller wrote last and the revision that wrote it.
    pub(crate) head: Mutex<Option<(AuditHead, i64)>>,
}

/// Entries waiting for the next transaction.
#[derive(Default)]
pub(crate) struct AuditPending {
    buf: Vec<AuditEntry>,
    next_seq: u64,
    synced_seq: u64,
    flushing: bool,
    /// Appends `(from, to]` that failed, and why.
    failed: Vec<(u64, u64, String)>,
}

impl EtcdAudit {
    fn remote(&self, msg: impl std::fmt::Display) -> StateError {
        StateError::Remote {
            location: self.url.clone(),
            msg: msg.to_string(),
        }
    }

    fn read_head(&self, key: &str) -> Result<(AuditHead, i64), StateError> {
        let c = self.client.clone();
        let k = key.to_string();
        let r = wait_on(&self.handle, async move { rpc::get(c, k, None).await })
            .map_err(|e| self.remote(e))?;
        Ok(match r.kvs().first() {
            Some(kv) => (
                serde_json::from_slice::<AuditHead>(kv.value())
                    .map_err(|e| self.remote(format!("audit head unreadable: {e}")))?,
                kv.mod_revision(),
            ),
            None => (
                AuditHead {
                    count: 0,
                    last: GENESIS.into(),
                },
                0,
            ),
        })
    }

    /// Chain `entries` after the head and write them with the new head, in transactions
    /// of at most 100 entries.
    fn write(&self, entries: &[AuditEntry]) -> Result<(), StateError> {
        let head_key = format!("{}head", self.prefix);
        for chunk in entries.chunks(100) {
            let mut done = false;
            for _ in 0..50 {
                let cached = self.head.lock().expect("head").take();
                let (head, modrev) = match cached {
                    Some(h) => h,
                    None => self.read_head(&head_key)?,
                };
                let mut ops = Vec::new();
                let (mut count, mut last) = (head.count, head.last.clone());
                for entry in chunk {
                    let mut e = entry.clone();
                    count += 1;
                    e.seq = count;
                    e.prev = last;
                    let line = serde_json::to_string(&e).expect("entry serializes");
                    last = sha256_hex(line.as_bytes());
                    ops.push(TxnOp::put(
                        format!("{}entries/{count:020}", self.prefix),
                        line,
                        None,
                    ));
                }
                let new_head = AuditHead { count, last };
                ops.push(TxnOp::put(
                    head_key.clone(),
                    serde_json::to_string(&new_head).expect("head serializes"),
                    None,
                ));
                let txn = Txn::new()
                    .when([Compare::mod_revision(
                        head_key.clone(),
                        CompareOp::Equal,
                        modrev,
                    )])
                    .and_then(ops);
                let c = self.client.clone();
                let r = wait_on(&self.handle, async move { rpc::txn(c, txn).await })
                    .map_err(|e| self.remote(e))?;
                if r.succeeded() {
                    if let Some(rev) = r.header().map(|h| h.revision()) {
                        *self.head.lock().expect("head") = Some((new_head, rev));
                    }
                    done = true;
                    break;
                }
            }
            if !done {
                return Err(self.remote("the audit chain's head kept moving; giving up"));
            }
        }
        Ok(())
    }
}

impl AuditLog for EtcdAudit {
    fn append(&self, mut entry: AuditEntry) -> Result<(), StateError> {
        entry.t = now_rfc3339();
        let mut p = self.pending.lock().expect("pending");
        p.buf.push(entry);
        p.next_seq += 1;
        let mine = p.next_seq;
        loop {
            if p.synced_seq >= mine {
                return match p.failed.iter().find(|(a, b, _)| *a < mine && mine <= *b) {
                    Some((_, _, msg)) => Err(self.remote(msg)),
                    None => Ok(()),
                };
            }
            if p.flushing {
                p = self.cv.wait(p).expect("pending");
                continue;
            }
            p.flushing = true;
            let batch = std::mem::take(&mut p.buf);
            let (from, upto) = (p.synced_seq, p.next_seq);
            drop(p);
            let res = self.write(&batch);
            p = self.pending.lock().expect("pending");
            p.flushing = false;
            p.synced_seq = upto;
            if let Err(e) = res {
                let msg = match e {
                    StateError::Remote { msg, .. } => msg,
                    e => e.to_string(),
                };
                p.failed.push((from, upto, msg));
            }
            self.cv.notify_all();
        }
    }
}

/// Whether to import, or only check that importing would work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Import {
    Check,
    Copy,
}

/// What importing a directory's audit chain did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditImport {
    /// Entries copied now.
    pub copied: u64,
    /// Entries etcd already had (an earlier migration).
    pub present: u64,
}

impl EtcdStore {
    pub(crate) fn verify_chain(&self) -> Result<AuditVerdict, StateError> {
        let base = self.key("audit/");
        let kvs = self.get_prefix(format!("{base}entries/"))?;
        let head: Option<AuditHead> = self
            .get(format!("{base}head"))?
            .and_then(|(v, _, _)| serde_json::from_slice(&v).ok());
        let mut prev = GENESIS.to_string();
        let mut n = 0u64;
        for (i, (_, v, _)) in kvs.iter().enumerate() {
            let line = i + 1;
            let e: AuditEntry = match serde_json::from_slice(v) {
                Ok(e) => e,
                Err(err) => {
                    return Ok(AuditVerdict::Broken {
                        line,
                        reason: format!("not a valid entry: {err}"),
                    });
                }
            };
            if e.seq != n + 1 {
                return Ok(AuditVerdict::Broken {
                    line,
                    reason: format!("entry {} follows entry {n}", e.seq),
                });
            }
            if e.prev != prev {
                return Ok(AuditVerdict::Broken {
                    line,
                    reason: "its `prev` is not the hash of the entry before: an entry was altered"
                        .into(),
                });
            }
            prev = sha256_hex(v);
            n = e.seq;
        }
        match head {
            None if n == 0 => Ok(AuditVerdict::Intact { entries: 0 }),
            None => Ok(AuditVerdict::Broken {
                line: n as usize,
                reason: "the chain's head is missing".into(),
            }),
            Some(h) if h.count != n || h.last != prev => Ok(AuditVerdict::Broken {
                line: n as usize,
                reason: format!(
                    "the head says {} entries ending in {}, the chain has {n}: entries were removed",
                    h.count, h.last
                ),
            }),
            Some(_) => Ok(AuditVerdict::Intact { entries: n }),
        }
    }

    /// Copy a directory's audit chain (its lines, verbatim) into etcd: when etcd's chain is
    /// empty or is the start of `lines` (an earlier migration), the rest is appended and
    /// every hash stays valid; when etcd already holds a different chain, nothing is copied.
    /// With [`Import::Check`], only whether it could (nothing is written).
    pub fn import_audit(&self, lines: &[String], mode: Import) -> Result<AuditImport, StateError> {
        let base = self.key("audit/");
        let kvs = self.get_prefix(format!("{base}entries/"))?;
        let have: Vec<&[u8]> = kvs.iter().map(|kv| kv.1.as_slice()).collect();
        let common = have
            .iter()
            .zip(lines)
            .take_while(|(a, b)| **a == b.as_bytes())
            .count();
        if common < have.len() && common < lines.len() {
            return Err(StateError::Unsafe(format!(
                "{}: etcd already holds a different audit chain ({} entries; entry {} differs from the directory's): \
                 one chain cannot take the other's entries without breaking; import into another prefix",
                self.location(),
                have.len(),
                common + 1
            )));
        }
        if lines.len() <= have.len() || mode == Import::Check {
            return Ok(AuditImport {
                copied: 0,
                present: lines.len().min(have.len()) as u64,
            });
        }
        let head_key = format!("{base}head");
        let mut done = have.len();
        for chunk in lines[have.len()..].chunks(100) {
            let modrev = self.get(head_key.clone())?.map_or(0, |(_, _, m)| m);
            let mut ops = Vec::new();
            for (i, line) in chunk.iter().enumerate() {
                let seq = done + i + 1;
                ops.push(TxnOp::put(
                    format!("{base}entries/{seq:020}"),
                    line.as_str(),
                    None,
                ));
            }
            done += chunk.len();
            let head = AuditHead {
                count: done as u64,
                last: sha256_hex(chunk[chunk.len() - 1].as_bytes()),
            };
            ops.push(TxnOp::put(
                head_key.clone(),
                serde_json::to_string(&head).expect("head serializes"),
                None,
            ));
            let txn = Txn::new()
                .when([Compare::mod_revision(
                    head_key.clone(),
                    CompareOp::Equal,
                    modrev,
                )])
                .and_then(ops);
            let c = self.client.clone();
            let r = wait_on(self.rt().handle(), async move { rpc::txn(c, txn).await })
                .map_err(|e| self.remote(e))?;
            if !r.succeeded() {
                return Err(self.remote(
                    "the audit chain moved while it was imported (another controller wrote to it); run the migration again",
                ));
            }
        }
        Ok(AuditImport {
            copied: (lines.len() - have.len()) as u64,
            present: have.len() as u64,
        })
    }
}
