//! Run state on an etcd cluster: a [`RunStore`] that several controllers share, so a run
//! survives the loss of the machine that started it.
//!
//! Keys, all under the store's prefix (default `/drctl/`):
//!
//! - `runs/ID/header` — the run's journal header (JSON), written when the run is created;
//! - `runs/ID/records/SEQ` — every journal record after the header, SEQ zero-padded to 20
//!   digits so a prefix read returns them in order;
//! - `runs/ID/runbook` — the runbook's text saved when the run started;
//! - `runs/ID/next` — the next SEQ (the journal's tail, compared on every append);
//! - `locks/NAME` — the lock of runbook NAME, bound to a lease; its value names the holder;
//! - `audit/entries/SEQ` and `audit/head` — the audit hash chain and its head.
//!
//! Fencing: the lock's epoch is the lock key's create revision (etcd's revisions only
//! grow). Every [`RunLog::append_all`] is one transaction that puts all the batch's
//! records only if `locks/NAME` still exists with that create revision; a failed
//! condition is [`StateError::Fenced`], and the lock reports itself [`RunLock::lost`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, GetOptions, PutOptions, Txn, TxnOp, TxnOpResponse,
};
use serde::{Deserialize, Serialize};

use drctl_core::record::{Header, Loaded, Record};
use drctl_core::store::{
    AuditEntry, AuditLog, AuditVerdict, LockHolder, RunLock, RunLog, RunStore, StateError,
};
use drctl_core::time::{now_rfc3339, sha256_hex};

/// The audit chain's first `prev`.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Default lease TTL of a lock, in seconds.
pub const DEFAULT_LEASE_TTL: u64 = 10;

/// What `--state etcd://…` names: endpoints and a key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdUrl {
    pub endpoints: Vec<String>,
    pub prefix: String,
}

impl EtcdUrl {
    /// `etcd://HOST:PORT[,HOST:PORT…][/PREFIX]` (`etcds://` for TLS is not supported yet).
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("etcd://")
            .ok_or_else(|| format!("`{url}`: expected etcd://HOST:PORT[,HOST:PORT…][/PREFIX]"))?;
        let (hosts, prefix) = match rest.split_once('/') {
            Some((h, p)) => (h, p.trim_matches('/')),
            None => (rest, ""),
        };
        let endpoints: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| format!("http://{h}"))
            .collect();
        if endpoints.is_empty() {
            return Err(format!("`{url}`: no etcd endpoint"));
        }
        let prefix = if prefix.is_empty() {
            "/drctl/".to_string()
        } else {
            format!("/{prefix}/")
        };
        Ok(Self { endpoints, prefix })
    }
}

/// A held lock's identity, shared by the lock and the logs appending under it.
struct Held {
    key: String,
    epoch: i64,
    lost: Arc<Mutex<Option<String>>>,
}

/// The etcd store. It owns a small runtime of its own: the store's traits are blocking,
/// and they are called from inside the engine's runtime.
pub struct EtcdStore {
    rt: Option<tokio::runtime::Runtime>,
    client: Client,
    url: String,
    prefix: String,
    ttl: u64,
    held: Arc<Mutex<HashMap<String, Arc<Held>>>>,
}

/// The lock key's value: who holds it.
#[derive(Debug, Serialize, Deserialize)]
struct HolderValue {
    run_id: String,
    pid: u32,
    controller: String,
    user: String,
    since: String,
    lease: i64,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

impl EtcdStore {
    /// Connect to the cluster `url` names; locks get leases of `ttl` seconds.
    pub fn connect(url: &str, ttl: u64) -> Result<Self, StateError> {
        let parsed = EtcdUrl::parse(url).map_err(|msg| StateError::Remote {
            location: url.into(),
            msg,
        })?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("drctl-etcd")
            .build()
            .map_err(|e| StateError::Remote {
                location: url.into(),
                msg: e.to_string(),
            })?;
        let mut opts = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(3))
            .with_timeout(Duration::from_secs(ttl.clamp(2, 10)));
        if let (Ok(u), Ok(p)) = (
            std::env::var("DRCTL_ETCD_USER"),
            std::env::var("DRCTL_ETCD_PASSWORD"),
        ) {
            opts = opts.with_user(u, p);
        }
        let endpoints = parsed.endpoints.clone();
        let client = wait(
            &rt,
            async move { Client::connect(endpoints, Some(opts)).await },
        )
        .map_err(|e| StateError::Remote {
            location: url.into(),
            msg: format!("cannot connect: {e}"),
        })?;
        Ok(Self {
            rt: Some(rt),
            client,
            url: url.into(),
            prefix: parsed.prefix,
            ttl: ttl.max(1),
            held: Arc::default(),
        })
    }

    fn rt(&self) -> &tokio::runtime::Runtime {
        self.rt
            .as_ref()
            .expect("runtime lives as long as the store")
    }

    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    fn remote(&self, e: impl std::fmt::Display) -> StateError {
        StateError::Remote {
            location: self.url.clone(),
            msg: e.to_string(),
        }
    }

    fn get(&self, key: String) -> Result<Option<(Vec<u8>, i64, i64)>, StateError> {
        let mut c = self.client.clone();
        let r =
            wait(self.rt(), async move { c.get(key, None).await }).map_err(|e| self.remote(e))?;
        Ok(r.kvs()
            .first()
            .map(|kv| (kv.value().to_vec(), kv.create_revision(), kv.mod_revision())))
    }

    fn get_prefix(&self, prefix: String) -> Result<Vec<(String, Vec<u8>)>, StateError> {
        let mut c = self.client.clone();
        let r = wait(self.rt(), async move {
            c.get(prefix, Some(GetOptions::new().with_prefix())).await
        })
        .map_err(|e| self.remote(e))?;
        Ok(r.kvs()
            .iter()
            .map(|kv| {
                (
                    String::from_utf8_lossy(kv.key()).into_owned(),
                    kv.value().to_vec(),
                )
            })
            .collect())
    }

    fn run_exists(&self, run_id: &str) -> Result<(), StateError> {
        if run_id.is_empty() || run_id.contains('/') {
            return Err(StateError::NoSuchRun(run_id.into()));
        }
        match self.get(self.key(&format!("runs/{run_id}/header")))? {
            Some(_) => Ok(()),
            None => Err(StateError::NoSuchRun(run_id.into())),
        }
    }

    fn log_for(&self, run_id: &str) -> Arc<EtcdLog> {
        let held = self.held.lock().expect("held").get(run_id).cloned();
        Arc::new(EtcdLog {
            handle: self.rt().handle().clone(),
            client: self.client.clone(),
            url: self.url.clone(),
            run_id: run_id.into(),
            prefix: self.key(&format!("runs/{run_id}/")),
            held,
        })
    }
}

impl Drop for EtcdStore {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Run `f` on the store's runtime and wait for it from any thread (also from inside
/// another runtime, where `block_on` would panic).
fn wait<T: Send + 'static>(
    rt: &tokio::runtime::Runtime,
    f: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    wait_on(rt.handle(), f)
}

fn wait_on<T: Send + 'static>(
    h: &tokio::runtime::Handle,
    f: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    h.spawn(async move {
        let _ = tx.send(f.await);
    });
    rx.recv().expect("the store's runtime finished the request")
}

/// A lock held on etcd: a key bound to a lease kept alive by a background task.
struct EtcdLock {
    handle: tokio::runtime::Handle,
    client: Client,
    held: Arc<Held>,
    run_id: String,
    lease: i64,
    keeper: tokio::task::JoinHandle<()>,
    registry: Arc<Mutex<HashMap<String, Arc<Held>>>>,
    stop: Arc<AtomicBool>,
}

impl RunLock for EtcdLock {
    fn took_over(&self) -> Option<&str> {
        None
    }

    fn epoch(&self) -> u64 {
        self.held.epoch as u64
    }

    fn lost(&self) -> Option<String> {
        self.held.lost.lock().expect("lost").clone()
    }
}

impl Drop for EtcdLock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.keeper.abort();
        self.registry.lock().expect("held").remove(&self.run_id);
        // Revoking our own lease deletes our key only: a newer holder's key has its own lease.
        let mut c = self.client.clone();
        let lease = self.lease;
        let (tx, rx) = std::sync::mpsc::channel();
        self.handle.spawn(async move {
            let _ = c.lease_revoke(lease).await;
            let _ = tx.send(());
        });
        let _ = rx.recv_timeout(Duration::from_secs(3));
    }
}

/// Keep the lease alive every TTL/3; mark the lock lost when the lease is gone or cannot be
/// renewed before it would have expired.
async fn keep_alive(
    mut client: Client,
    lease: i64,
    ttl: u64,
    lost: Arc<Mutex<Option<String>>>,
    stop: Arc<AtomicBool>,
) {
    let period = Duration::from_millis((ttl * 1000 / 3).max(200));
    let mut last_ok = std::time::Instant::now();
    let mut stream = None;
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(period).await;
        if stream.is_none() {
            stream = client.lease_keep_alive(lease).await.ok();
        }
        let ok = match stream.as_mut() {
            Some((keeper, s)) => match keeper.keep_alive().await {
                Ok(()) => match tokio::time::timeout(period, s.message()).await {
                    Ok(Ok(Some(r))) if r.ttl() > 0 => true,
                    Ok(Ok(Some(_))) => {
                        *lost.lock().expect("lost") = Some(format!("its lease {lease:x} expired"));
                        return;
                    }
                    _ => false,
                },
                Err(_) => false,
            },
            None => false,
        };
        if ok {
            last_ok = std::time::Instant::now();
        } else {
            stream = None;
            if last_ok.elapsed() >= Duration::from_secs(ttl) {
                *lost.lock().expect("lost") = Some(format!(
                    "its lease {lease:x} could not be renewed for {ttl} s (etcd unreachable)"
                ));
                return;
            }
        }
    }
}

/// One run's journal in etcd.
struct EtcdLog {
    handle: tokio::runtime::Handle,
    client: Client,
    url: String,
    run_id: String,
    /// `PREFIX/runs/ID/`
    prefix: String,
    held: Option<Arc<Held>>,
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

    /// Append `records` after the header (`first`: the header itself, creating the run).
    fn append_records(&self, records: &[Record], create: Option<&str>) -> Result<(), StateError> {
        if let Some(h) = &self.held
            && h.lost.lock().expect("lost").is_some()
        {
            return Err(self.fenced());
        }
        let next_key = format!("{}next", self.prefix);
        // Optimistic: read the tail, then put the batch conditional on it (and on the lock).
        for _ in 0..20 {
            let mut c = self.client.clone();
            let k = next_key.clone();
            let r = wait_on(&self.handle, async move { c.get(k, None).await })
                .map_err(|e| self.remote(e))?;
            let (next, modrev) = match r.kvs().first() {
                Some(kv) => (
                    std::str::from_utf8(kv.value())
                        .ok()
                        .and_then(|s| s.parse::<u64>().ok())
                        .unwrap_or(0),
                    kv.mod_revision(),
                ),
                None => (0, 0),
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
            for rec in records {
                let line = serde_json::to_string(rec).map_err(|e| self.remote(e))?;
                let key = match rec {
                    Record::Header(_) => format!("{}header", self.prefix),
                    _ => {
                        let k = format!("{}records/{seq:020}", self.prefix);
                        seq += 1;
                        k
                    }
                };
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
            let mut c = self.client.clone();
            let r = wait_on(&self.handle, async move { c.txn(txn).await })
                .map_err(|e| self.remote(e))?;
            if r.succeeded() {
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

impl RunLog for EtcdLog {
    fn append_all(&self, records: &[Record]) -> Result<(), StateError> {
        if records.is_empty() {
            return Ok(());
        }
        self.append_records(records, None)
    }
}

impl RunStore for EtcdStore {
    fn holder(&self, name: &str) -> Option<LockHolder> {
        let (v, _, _) = self.get(self.key(&format!("locks/{name}"))).ok()??;
        let h: HolderValue = serde_json::from_slice(&v).ok()?;
        Some(LockHolder {
            run_id: h.run_id,
            pid: h.pid,
            controller: format!("{} (user {})", h.controller, h.user),
            since: h.since,
            // The key lives only as long as its lease: its holder kept it alive.
            alive: true,
        })
    }

    fn lock(&self, name: &str, run_id: &str) -> Result<Box<dyn RunLock>, StateError> {
        let key = self.key(&format!("locks/{name}"));
        let mut c = self.client.clone();
        let ttl = self.ttl as i64;
        let lease = wait(self.rt(), async move { c.lease_grant(ttl, None).await })
            .map_err(|e| self.remote(e))?
            .id();
        let value = HolderValue {
            run_id: run_id.into(),
            pid: std::process::id(),
            controller: hostname(),
            user: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            since: now_rfc3339(),
            lease,
        };
        let txn = Txn::new()
            .when([Compare::create_revision(key.clone(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(
                key.clone(),
                serde_json::to_string(&value).expect("holder serializes"),
                Some(PutOptions::new().with_lease(lease)),
            )])
            .or_else([TxnOp::get(key.clone(), None)]);
        let mut c = self.client.clone();
        let r = wait(self.rt(), async move { c.txn(txn).await }).map_err(|e| self.remote(e))?;
        if !r.succeeded() {
            let mut c = self.client.clone();
            let _ = wait(self.rt(), async move { c.lease_revoke(lease).await });
            let who = r
                .op_responses()
                .into_iter()
                .find_map(|op| match op {
                    TxnOpResponse::Get(g) => g
                        .kvs()
                        .first()
                        .and_then(|kv| serde_json::from_slice::<HolderValue>(kv.value()).ok()),
                    _ => None,
                })
                .map_or_else(
                    || "another controller".to_string(),
                    |h| {
                        format!(
                            "run {} on controller {} (pid {}, user {}) since {}",
                            h.run_id, h.controller, h.pid, h.user, h.since
                        )
                    },
                );
            return Err(StateError::Locked(format!(
                "runbook `{name}` is locked by {who} (etcd {}); its lease expires within {} s of its controller's loss",
                self.url, self.ttl
            )));
        }
        let epoch = r.header().map(|h| h.revision()).unwrap_or_default();
        let lost = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Held {
            key,
            epoch,
            lost: lost.clone(),
        });
        self.held
            .lock()
            .expect("held")
            .insert(run_id.into(), held.clone());
        let keeper = self.rt().spawn(keep_alive(
            self.client.clone(),
            lease,
            self.ttl,
            lost,
            stop.clone(),
        ));
        Ok(Box::new(EtcdLock {
            handle: self.rt().handle().clone(),
            client: self.client.clone(),
            held,
            run_id: run_id.into(),
            lease,
            keeper,
            registry: self.held.clone(),
            stop,
        }))
    }

    fn create_run(&self, header: Header, runbook: &str) -> Result<Arc<dyn RunLog>, StateError> {
        let log = self.log_for(&header.run_id);
        log.append_records(&[Record::Header(header)], Some(runbook))?;
        Ok(log)
    }

    fn reopen_run(&self, run_id: &str) -> Result<Arc<dyn RunLog>, StateError> {
        self.run_exists(run_id)?;
        Ok(self.log_for(run_id))
    }

    fn load_run(&self, run_id: &str) -> Result<Loaded, StateError> {
        self.run_exists(run_id)?;
        let base = self.key(&format!("runs/{run_id}/"));
        let kvs = self.get_prefix(base.clone())?;
        let corrupt = |k: &str, msg: String| StateError::Corrupt {
            path: format!("etcd:{k}").into(),
            line: 1,
            msg,
        };
        let mut header = None;
        let mut records = Vec::new();
        for (k, v) in &kvs {
            let rest = &k[base.len()..];
            if rest == "header" {
                let r: Record = serde_json::from_slice(v).map_err(|e| corrupt(k, e.to_string()))?;
                match r {
                    Record::Header(h) => header = Some(h),
                    _ => return Err(corrupt(k, "not a header".into())),
                }
            } else if rest.starts_with("records/") {
                records.push(serde_json::from_slice(v).map_err(|e| corrupt(k, e.to_string()))?);
            }
        }
        let header = header.ok_or_else(|| StateError::NoSuchRun(run_id.into()))?;
        let mut all = vec![Record::Header(header.clone())];
        all.extend(records);
        Ok(Loaded {
            header,
            records: all,
            torn_tail: false,
        })
    }

    fn saved_runbook(&self, run_id: &str) -> Result<String, StateError> {
        match self.get(self.key(&format!("runs/{run_id}/runbook")))? {
            Some((v, _, _)) => Ok(String::from_utf8_lossy(&v).into_owned()),
            None => Err(StateError::NoSuchRun(run_id.into())),
        }
    }

    fn list_runs(&self) -> Result<Vec<String>, StateError> {
        // Oldest first: by the header key's create revision.
        let prefix = self.key("runs/");
        let mut c = self.client.clone();
        let p = prefix.clone();
        let r = wait(self.rt(), async move {
            c.get(p, Some(GetOptions::new().with_prefix().with_keys_only()))
                .await
        })
        .map_err(|e| self.remote(e))?;
        let mut runs: Vec<(i64, String)> = r
            .kvs()
            .iter()
            .filter_map(|kv| {
                let k = String::from_utf8_lossy(kv.key()).into_owned();
                let id = k
                    .strip_prefix(&prefix)?
                    .strip_suffix("/header")?
                    .to_string();
                (!id.contains('/')).then_some((kv.create_revision(), id))
            })
            .collect();
        runs.sort();
        Ok(runs.into_iter().map(|(_, id)| id).collect())
    }

    fn audit(&self) -> Arc<dyn AuditLog> {
        Arc::new(EtcdAudit {
            handle: self.rt().handle().clone(),
            client: self.client.clone(),
            url: self.url.clone(),
            prefix: self.key("audit/"),
        })
    }

    fn verify_audit(&self) -> Result<AuditVerdict, StateError> {
        let base = self.key("audit/");
        let kvs = self.get_prefix(format!("{base}entries/"))?;
        let head: Option<AuditHead> = self
            .get(format!("{base}head"))?
            .and_then(|(v, _, _)| serde_json::from_slice(&v).ok());
        let mut prev = GENESIS.to_string();
        let mut n = 0u64;
        for (i, (_, v)) in kvs.iter().enumerate() {
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

    fn location(&self) -> String {
        self.url.clone()
    }

    fn post_answer(
        &self,
        run_id: &str,
        answer: &drctl_core::gate::GateAnswer,
    ) -> Result<(), StateError> {
        self.run_exists(run_id)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let key = self.key(&format!(
            "runs/{run_id}/answers/{nanos:024}-{}",
            std::process::id()
        ));
        let value = serde_json::to_vec(answer).map_err(|e| self.remote(e))?;
        let mut c = self.client.clone();
        wait(self.rt(), async move { c.put(key, value, None).await })
            .map_err(|e| self.remote(e))?;
        Ok(())
    }

    fn answers(&self, run_id: &str) -> Result<Vec<drctl_core::gate::GateAnswer>, StateError> {
        let kvs = self.get_prefix(self.key(&format!("runs/{run_id}/answers/")))?;
        Ok(kvs
            .iter()
            .filter_map(|(_, v)| serde_json::from_slice(v).ok())
            .collect())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct AuditHead {
    count: u64,
    last: String,
}

/// The audit chain in etcd: each append is one transaction conditional on the head not
/// having moved since it was read.
struct EtcdAudit {
    handle: tokio::runtime::Handle,
    client: Client,
    url: String,
    /// `PREFIX/audit/`
    prefix: String,
}

impl AuditLog for EtcdAudit {
    fn append(&self, mut entry: AuditEntry) -> Result<(), StateError> {
        entry.t = now_rfc3339();
        let remote = |e: etcd_client::Error| StateError::Remote {
            location: self.url.clone(),
            msg: e.to_string(),
        };
        let head_key = format!("{}head", self.prefix);
        for _ in 0..50 {
            let mut c = self.client.clone();
            let k = head_key.clone();
            let r = wait_on(&self.handle, async move { c.get(k, None).await }).map_err(remote)?;
            let (head, modrev) = match r.kvs().first() {
                Some(kv) => (
                    serde_json::from_slice::<AuditHead>(kv.value()).map_err(|e| {
                        StateError::Remote {
                            location: self.url.clone(),
                            msg: format!("audit head unreadable: {e}"),
                        }
                    })?,
                    kv.mod_revision(),
                ),
                None => (
                    AuditHead {
                        count: 0,
                        last: GENESIS.into(),
                    },
                    0,
                ),
            };
            let mut e = entry.clone();
            e.seq = head.count + 1;
            e.prev = head.last.clone();
            let line = serde_json::to_string(&e).expect("entry serializes");
            let new_head = AuditHead {
                count: e.seq,
                last: sha256_hex(line.as_bytes()),
            };
            let txn = Txn::new()
                .when([Compare::mod_revision(
                    head_key.clone(),
                    CompareOp::Equal,
                    modrev,
                )])
                .and_then([
                    TxnOp::put(format!("{}entries/{:020}", self.prefix, e.seq), line, None),
                    TxnOp::put(
                        head_key.clone(),
                        serde_json::to_string(&new_head).expect("head serializes"),
                        None,
                    ),
                ]);
            let mut c = self.client.clone();
            let r = wait_on(&self.handle, async move { c.txn(txn).await }).map_err(remote)?;
            if r.succeeded() {
                return Ok(());
            }
        }
        Err(StateError::Remote {
            location: self.url.clone(),
            msg: "the audit chain's head kept moving; giving up".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = EtcdUrl::parse("etcd://127.0.0.1:2379,10.0.0.2:2379/team/a").unwrap();
        assert_eq!(
            u.endpoints,
            vec!["http://127.0.0.1:2379", "http://10.0.0.2:2379"]
        );
        assert_eq!(u.prefix, "/team/a/");
        assert_eq!(EtcdUrl::parse("etcd://h:1").unwrap().prefix, "/drctl/");
        assert!(EtcdUrl::parse("http://h:1").is_err());
        assert!(EtcdUrl::parse("etcd:///x").is_err());
    }
}
