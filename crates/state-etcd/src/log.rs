//! One run's journal in etcd: records under `runs/ID/records/SEQ`, each stamped with the
//! fencing epoch it was written under. A batch of records (a wave of hosts) is one
//! transaction, conditional on the journal's tail and on the lock still being held at
//! this controller's epoch: group commit, and fencing where the write lands.

use std::sync::{Arc, Condvar, Mutex};

use etcd_client::{Client, Compare, CompareOp, Txn, TxnOp, TxnOpResponse};

use drctl_core::record::{Record, stamped_line};
use drctl_core::store::{RunLog, StateError};

use crate::lock::Held;
use crate::rpc;
use crate::wait_on;

/// How long the first appender of a wave waits for the others before writing: far less
/// than one etcd round trip (a raft commit with fsyncs on a majority).
const LINGER: std::time::Duration = std::time::Duration::from_micros(500);

/// Records per transaction: etcd refuses more than 128 operations in one (its default
/// `--max-txn-ops`); a bigger wave is written in several conditional transactions.
pub const MAX_BATCH: usize = 100;

/// One run's journal in etcd.
pub(crate) struct EtcdLog {
    pub(crate) handle: tokio::runtime::Handle,
    pub(crate) client: Client,
    pub(crate) url: String,
    pub(crate) run_id: String,
    /// `PREFIX/runs/ID/`
    pub(crate) prefix: String,
    pub(crate) held: Option<Arc<Held>>,
    /// The journal's tail after this log's last successful append: next SEQ and the
    /// revision that wrote it.
    pub(crate) tail: Mutex<Option<(u64, i64)>>,
    pub(crate) pending: Mutex<Pending>,
    pub(crate) cv: Condvar,
}

impl EtcdLog {
    fn remote(&self, e: impl std::fmt::Display) -> StateError {
        StateError::Remote {
            location: self.url.clone(),
            msg: e.to_string(),
        }
    }

    fn fenced(&self) -> StateError {
        let detail = match &self.held {
            Some(h) => {
                let why = h.lost.lock().expect("lost").clone();
                let why = why.unwrap_or_else(|| "the lock was taken over".into());
                *h.lost.lock().expect("lost") = Some(why.clone());
                format!(
                    " (this controller's lock at epoch {} is gone: {why})",
                    h.epoch
                )
            }
            None => String::new(),
        };
        StateError::Fenced {
            run_id: self.run_id.clone(),
            detail,
        }
    }

    /// The cluster did not take an append (no quorum, unreachable): if this controller's
    /// lease cannot be renewed either, it is fenced (wait, at most about twice the lease TTL, for
    /// the keep-alive to find out); else the error as it is.
    fn unreachable(&self, e: etcd_client::Error) -> StateError {
        *self.tail.lock().expect("tail") = None;
        if let Some(h) = &self.held {
            // The keep-alive gives up `ttl` after its last renewal, plus one attempt.
            let until = std::time::Instant::now() + std::time::Duration::from_secs(2 * h.ttl + 1);
            while std::time::Instant::now() < until {
                if h.lost.lock().expect("lost").is_some() {
                    return self.fenced();
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        self.remote(crate::connect::chain(&e))
    }

    /// After a transaction whose answer was lost: did it land? This controller is the
    /// run's only writer while it holds the lock, so the tail tells: moved to `seq` with our
    /// last record in place — landed; unchanged — not applied (send it again); anything
    /// else, or no answer within the lease TTL — unknown.
    fn settle(
        &self,
        next_key: &str,
        (next, modrev): (u64, i64),
        seq: u64,
        (last_key, last_line): &(String, String),
    ) -> Settled {
        let ttl = self.held.as_ref().map_or(5, |h| h.ttl);
        let until = std::time::Instant::now() + std::time::Duration::from_secs(ttl);
        while std::time::Instant::now() < until {
            if let Ok((now, rev)) = self.read_tail(next_key) {
                if now == next && rev == modrev {
                    return Settled::NotApplied;
                }
                let c = self.client.clone();
                let k = last_key.clone();
                let ours = wait_on(&self.handle, async move { rpc::get(c, k, None).await })
                    .ok()
                    .and_then(|r| r.kvs().first().map(|kv| kv.value() == last_line.as_bytes()));
                return match ours {
                    Some(true) if now == seq => Settled::Landed(rev),
                    _ => Settled::Unknown,
                };
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        Settled::Unknown
    }

    /// The journal's next SEQ and the mod revision of its `next` key (0, 0: empty).
    fn read_tail(&self, next_key: &str) -> Result<(u64, i64), StateError> {
        let c = self.client.clone();
        let k = next_key.to_string();
        let r = wait_on(&self.handle, async move { rpc::get(c, k, None).await })
            .map_err(|e| self.remote(e))?;
        Ok(match r.kvs().first() {
            Some(kv) => (
                std::str::from_utf8(kv.value())
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(0),
                kv.mod_revision(),
            ),
            None => (0, 0),
        })
    }

    /// Append `records` after the header (`first`: the header itself, creating the run).
    pub(crate) fn append_records(
        &self,
        records: &[Record],
        create: Option<&str>,
    ) -> Result<(), StateError> {
        if let Some(h) = &self.held
            && h.lost.lock().expect("lost").is_some()
        {
            return Err(self.fenced());
        }
        let next_key = format!("{}next", self.prefix);
        // Optimistic: read the tail, then put the batch conditional on it (and on the lock).
        for _ in 0..20 {
            // The tail this controller wrote last (one round trip per batch), else read it.
            let cached = self.tail.lock().expect("tail").take();
            let (next, modrev) = match cached {
                Some(t) => t,
                None => self.read_tail(&next_key)?,
            };
            let mut when = vec![Compare::mod_revision(
                next_key.clone(),
                CompareOp::Equal,
                modrev,
            )];
            if let Some(h) = &self.held {
                when.push(Compare::create_revision(
                    h.key.clone(),
                    CompareOp::Equal,
                    h.epoch,
                ));
            }
            let mut ops = Vec::new();
            let mut seq = next;
            let mut last = (String::new(), String::new());
            for rec in records {
                let epoch = self.held.as_ref().map_or(0, |h| h.epoch as u64);
                let line = stamped_line(rec, epoch).map_err(|e| self.remote(e))?;
                let key = match rec {
                    Record::Header(_) => format!("{}header", self.prefix),
                    _ => {
                        let k = format!("{}records/{seq:020}", self.prefix);
                        seq += 1;
                        k
                    }
                };
                last = (key.clone(), line.clone());
                ops.push(TxnOp::put(key, line, None));
            }
            if let Some(text) = create {
                ops.push(TxnOp::put(format!("{}runbook", self.prefix), text, None));
            }
            ops.push(TxnOp::put(next_key.clone(), seq.to_string(), None));
            let mut or_else = Vec::new();
            if let Some(h) = &self.held {
                or_else.push(TxnOp::get(h.key.clone(), None));
            }
            let txn = Txn::new().when(when).and_then(ops).or_else(or_else);
            let c = self.client.clone();
            let r = match wait_on(&self.handle, async move { rpc::txn(c, txn).await }) {
                Ok(r) => r,
                // The answer was lost (a leader election, a member gone mid-request): look
                // whether the batch landed before deciding; never write it twice.
                Err(e) => match self.settle(&next_key, (next, modrev), seq, &last) {
                    Settled::Landed(rev) => {
                        *self.tail.lock().expect("tail") = Some((seq, rev));
                        return Ok(());
                    }
                    Settled::NotApplied => continue,
                    Settled::Unknown => return Err(self.unreachable(e)),
                },
            };
            if r.succeeded() {
                if let Some(rev) = r.header().map(|h| h.revision()) {
                    *self.tail.lock().expect("tail") = Some((seq, rev));
                }
                return Ok(());
            }
            // Lost the lock, or raced on the tail (another writer of the same run: only
            // possible without a lock).
            if let Some(h) = &self.held {
                let still = r.op_responses().into_iter().any(|op| match op {
                    TxnOpResponse::Get(g) => g
                        .kvs()
                        .first()
                        .is_some_and(|kv| kv.create_revision() == h.epoch),
                    _ => false,
                });
                if !still {
                    return Err(self.fenced());
                }
            }
        }
        Err(self.remote(format!(
            "run {}: the journal's tail kept moving; giving up",
            self.run_id
        )))
    }
}

/// Whether a transaction whose answer was lost landed.
enum Settled {
    /// Yes, at this revision.
    Landed(i64),
    NotApplied,
    Unknown,
}

/// Records waiting for the next transaction (group commit, as the directory's journal
/// batches its fsyncs): concurrent appenders (one per host of a wave) are written together
/// by whichever of them gets there first.
#[derive(Default)]
pub(crate) struct Pending {
    buf: Vec<Record>,
    next_seq: u64,
    synced_seq: u64,
    flushing: bool,
    /// The first failed flush: every later append fails the same way.
    error: Option<Failed>,
}

#[derive(Clone)]
enum Failed {
    Fenced,
    Other(String),
}

impl EtcdLog {
    /// Write `records` (any number) in bounded transactions: at most [`MAX_BATCH`] records
    /// and about 1 MiB each (etcd refuses requests over 1.5 MiB by default).
    fn write_bounded(&self, records: &[Record]) -> Result<(), StateError> {
        let mut start = 0;
        let mut bytes = 0;
        for (i, r) in records.iter().enumerate() {
            let size = serde_json::to_vec(r).map_or(0, |v| v.len()) + 64;
            if i > start && (i - start >= MAX_BATCH || bytes + size > 1 << 20) {
                self.append_records(&records[start..i], None)?;
                (start, bytes) = (i, 0);
            }
            bytes += size;
        }
        if start < records.len() {
            self.append_records(&records[start..], None)?;
        }
        Ok(())
    }

    fn failed(&self, f: &Failed) -> StateError {
        match f {
            Failed::Fenced => self.fenced(),
            Failed::Other(msg) => self.remote(msg),
        }
    }
}

impl RunLog for EtcdLog {
    fn append_all(&self, records: &[Record]) -> Result<(), StateError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut p = self.pending.lock().expect("pending");
        p.buf.extend_from_slice(records);
        p.next_seq += 1;
        let mine = p.next_seq;
        loop {
            if let Some(f) = &p.error {
                let f = f.clone();
                drop(p);
                return Err(self.failed(&f));
            }
            if p.synced_seq >= mine {
                return Ok(());
            }
            if p.flushing {
                p = self.cv.wait(p).expect("pending");
                continue;
            }
            p.flushing = true;
            // Linger a moment so the rest of a wave (the other hosts' records, arriving
            // together) joins this transaction instead of waiting for the next one.
            drop(p);
            std::thread::sleep(LINGER);
            p = self.pending.lock().expect("pending");
            let batch = std::mem::take(&mut p.buf);
            let upto = p.next_seq;
            drop(p);
            let res = self.write_bounded(&batch);
            p = self.pending.lock().expect("pending");
            p.flushing = false;
            match res {
                Ok(()) => p.synced_seq = upto,
                Err(StateError::Fenced { .. }) => p.error = Some(Failed::Fenced),
                Err(e) => {
                    p.error = Some(Failed::Other(match e {
                        StateError::Remote { msg, .. } => msg,
                        e => e.to_string(),
                    }))
                }
            }
            self.cv.notify_all();
        }
    }
}
