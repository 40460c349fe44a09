//! Run state on an etcd cluster: a [`RunStore`] that several controllers share, so a run
//! survives the loss of the machine that started it.
//!
//! Keys, all under the store's prefix (default `/drctl/`):
//!
//! - `runs/ID/header` — the run's journal header (JSON), written when the run is created;
//! - `runs/ID/records/SEQ` — every journal record after the header, SEQ zero-padded to 20
//!   digits so a prefix read returns them in order; each carries `"epoch"`, the fencing
//!   epoch of the lock it was written under;
//! - `runs/ID/runbook` — the runbook's text saved when the run started;
//! - `runs/ID/next` — the next SEQ (the journal's tail, compared on every append);
//! - `runs/ID/holders/LEASE` — each controller that held the run's lock (its create
//!   revision is that holder's epoch);
//! - `locks/NAME` — the lock of runbook NAME, bound to a lease; its value names the holder;
//! - `audit/entries/SEQ` and `audit/head` — the audit hash chain and its head.
//!
//! Fencing: the lock's epoch is the lock key's create revision (etcd's revisions only
//! grow). Every [`RunLog::append_all`] is one transaction that puts all the batch's
//! records only if `locks/NAME` still exists with that create revision; a failed
//! condition is [`StateError::Fenced`], and the lock reports itself [`RunLock::lost`].

mod audit;
mod connect;
mod lock;
mod log;
mod migrate;
mod rpc;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use etcd_client::{Client, GetOptions};

use drctl_core::record::{Header, Holder, Loaded, Record, line_epoch};
use drctl_core::store::{
    AuditLog, AuditVerdict, LockHolder, RunLock, RunLog, RunStore, StateError,
};

pub use audit::{AuditImport, Import};
pub use connect::{DEFAULT_LEASE_TTL, EtcdOptions, EtcdUrl, Scheme};
pub use log::MAX_BATCH;
pub use migrate::RunImport;

use audit::EtcdAudit;
use lock::{Held, HolderValue};
use log::EtcdLog;

/// The audit chain's first `prev`.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The etcd store. It owns a small runtime of its own: the store's traits are blocking,
/// and they are called from inside the engine's runtime.
pub struct EtcdStore {
    rt: Option<tokio::runtime::Runtime>,
    client: Client,
    url: String,
    prefix: String,
    ttl: u64,
    held: Arc<Mutex<HashMap<String, Arc<Held>>>>,
    /// The audit chain, shared by every caller (its appends are group-committed).
    audit: std::sync::OnceLock<Arc<EtcdAudit>>,
}

impl EtcdStore {
    /// Connect to the cluster `url` names (plain, no auth); locks get leases of `ttl` seconds.
    pub fn connect(url: &str, ttl: u64) -> Result<Self, StateError> {
        Self::connect_with(
            url,
            &EtcdOptions {
                lease_ttl: ttl,
                ..Default::default()
            },
        )
    }

    /// Connect with TLS files and/or an etcd user; fails (never hangs) when the cluster
    /// does not answer within a few seconds.
    pub fn connect_with(url: &str, o: &EtcdOptions) -> Result<Self, StateError> {
        let remote = |msg: String| StateError::Remote {
            location: url.into(),
            msg,
        };
        let parsed = EtcdUrl::parse(url).map_err(remote)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("drctl-etcd")
            .build()
            .map_err(|e| remote(e.to_string()))?;
        let (p, opts) = (parsed.clone(), o.clone());
        let client = wait(&rt, async move { connect::connect(&p, &opts).await }).map_err(remote)?;
        Ok(Self {
            rt: Some(rt),
            client,
            url: url.into(),
            prefix: parsed.prefix,
            ttl: o.lease_ttl.max(1),
            held: Arc::default(),
            audit: std::sync::OnceLock::new(),
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
        let c = self.client.clone();
        let r = wait(self.rt(), async move { rpc::get(c, key, None).await })
            .map_err(|e| self.remote(e))?;
        Ok(r.kvs()
            .first()
            .map(|kv| (kv.value().to_vec(), kv.create_revision(), kv.mod_revision())))
    }

    /// Every key under `prefix`, in key order: key, value, create revision.
    fn get_prefix(&self, prefix: String) -> Result<Vec<(String, Vec<u8>, i64)>, StateError> {
        let c = self.client.clone();
        let r = wait(self.rt(), async move {
            rpc::get(c, prefix, Some(GetOptions::new().with_prefix())).await
        })
        .map_err(|e| self.remote(e))?;
        Ok(r.kvs()
            .iter()
            .map(|kv| {
                (
                    String::from_utf8_lossy(kv.key()).into_owned(),
                    kv.value().to_vec(),
                    kv.create_revision(),
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
            tail: Mutex::new(None),
            pending: Mutex::default(),
            cv: std::sync::Condvar::new(),
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

impl RunStore for EtcdStore {
    fn holder(&self, name: &str) -> Option<LockHolder> {
        self.holder_of(name)
    }

    fn lock(&self, name: &str, run_id: &str) -> Result<Box<dyn RunLock>, StateError> {
        self.take_lock(name, run_id)
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
        let mut epochs = vec![0];
        let mut holders = Vec::new();
        for (k, v, created) in &kvs {
            let rest = &k[base.len()..];
            if rest == "header" {
                epochs[0] = line_epoch(v);
                let r: Record = serde_json::from_slice(v).map_err(|e| corrupt(k, e.to_string()))?;
                match r {
                    Record::Header(h) => header = Some(h),
                    _ => return Err(corrupt(k, "not a header".into())),
                }
            } else if rest.starts_with("records/") {
                records.push(serde_json::from_slice(v).map_err(|e| corrupt(k, e.to_string()))?);
                epochs.push(line_epoch(v));
            } else if rest.starts_with("holders/")
                && let Ok(h) = serde_json::from_slice::<HolderValue>(v)
            {
                holders.push(Holder {
                    epoch: *created as u64,
                    controller: h.controller,
                    user: h.user,
                    pid: h.pid,
                    since: h.since,
                });
            }
        }
        let header = header.ok_or_else(|| StateError::NoSuchRun(run_id.into()))?;
        holders.sort_by_key(|h| h.epoch);
        let mut all = vec![Record::Header(header.clone())];
        all.extend(records);
        Ok(Loaded {
            header,
            records: all,
            torn_tail: false,
            epochs,
            holders,
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
        let c = self.client.clone();
        let p = prefix.clone();
        let r = wait(self.rt(), async move {
            rpc::get(c, p, Some(GetOptions::new().with_prefix().with_keys_only())).await
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
        self.audit
            .get_or_init(|| {
                Arc::new(EtcdAudit {
                    handle: self.rt().handle().clone(),
                    client: self.client.clone(),
                    url: self.url.clone(),
                    prefix: self.key("audit/"),
                    pending: Mutex::default(),
                    cv: std::sync::Condvar::new(),
                    head: Mutex::new(None),
                })
            })
            .clone()
    }

    fn verify_audit(&self) -> Result<AuditVerdict, StateError> {
        self.verify_chain()
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
            .filter_map(|(_, v, _)| serde_json::from_slice(v).ok())
            .collect())
    }
}
