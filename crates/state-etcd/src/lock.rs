//! The run lock on etcd: a key per runbook name bound to a lease that a background task
//! keeps alive; its create revision is the fencing epoch. Each holder is also listed under
//! the run (`runs/ID/holders/LEASE`), so reports can show who took a run over, and when.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_client::{Client, Compare, CompareOp, PutOptions, Txn, TxnOp, TxnOpResponse};
use serde::{Deserialize, Serialize};

use drctl_core::store::{LockHolder, RunLock, StateError};
use drctl_core::time::now_rfc3339;

use crate::rpc;
use crate::{EtcdStore, wait};

/// A held lock's identity, shared by the lock and the logs appending under it.
pub(crate) struct Held {
    pub(crate) key: String,
    pub(crate) epoch: i64,
    pub(crate) lost: Arc<Mutex<Option<String>>>,
    /// The lease's TTL, in seconds.
    pub(crate) ttl: u64,
}

/// The lock key's value: who holds it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct HolderValue {
    pub(crate) run_id: String,
    pub(crate) pid: u32,
    pub(crate) controller: String,
    pub(crate) user: String,
    pub(crate) since: String,
    pub(crate) lease: i64,
}

/// The user running drctl: `$USER`, `$LOGNAME`, else the passwd entry of this process's uid.
fn user_name() -> String {
    if let Some(u) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
    {
        return u;
    }
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next().map(str::to_string))
        })
        .unwrap_or_default();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| {
            p.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
            })
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
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
    client: Client,
    lease: i64,
    ttl: u64,
    lost: Arc<Mutex<Option<String>>>,
    stop: Arc<AtomicBool>,
) {
    let period = Duration::from_millis((ttl * 1000 / 3).max(200));
    let mut last_ok = std::time::Instant::now();
    let mut stream = None;
    let mut ok = true;
    while !stop.load(Ordering::SeqCst) {
        // After a failed renewal, try again soon (a member gone, a leader election): the
        // lease must not lapse for want of asking.
        let pause = if ok {
            period
        } else {
            Duration::from_millis(150)
        };
        tokio::time::sleep(pause).await;
        if stream.is_none() {
            stream = crate::rpc::retry(|| {
                let mut c = client.clone();
                async move { c.lease_keep_alive(lease).await }
            })
            .await
            .ok();
        }
        ok = match stream.as_mut() {
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

impl EtcdStore {
    pub(crate) fn holder_of(&self, name: &str) -> Option<LockHolder> {
        let (v, _, _) = self.get(self.key(&format!("locks/{name}"))).ok()??;
        let h: HolderValue = serde_json::from_slice(&v).ok()?;
        let mut c = self.client.clone();
        let lease = h.lease;
        let lease_ttl = wait(
            self.rt(),
            async move { c.lease_time_to_live(lease, None).await },
        )
        .ok()
        .map(|r| std::time::Duration::from_secs(r.granted_ttl().max(0) as u64));
        Some(LockHolder {
            run_id: h.run_id,
            pid: h.pid,
            controller: format!("{} (user {})", h.controller, h.user),
            since: h.since,
            // The key lives only as long as its lease: its holder kept it alive.
            alive: true,
            lease_ttl,
        })
    }

    pub(crate) fn take_lock(
        &self,
        name: &str,
        run_id: &str,
    ) -> Result<Box<dyn RunLock>, StateError> {
        let key = self.key(&format!("locks/{name}"));
        let c = self.client.clone();
        let ttl = self.ttl as i64;
        let lease = wait(self.rt(), async move { rpc::lease_grant(c, ttl).await })
            .map_err(|e| self.remote(e))?
            .id();
        let value = HolderValue {
            run_id: run_id.into(),
            pid: std::process::id(),
            controller: hostname(),
            user: user_name(),
            since: now_rfc3339(),
            lease,
        };
        let txn = Txn::new()
            .when([Compare::create_revision(key.clone(), CompareOp::Equal, 0)])
            .and_then([
                TxnOp::put(
                    key.clone(),
                    serde_json::to_string(&value).expect("holder serializes"),
                    Some(PutOptions::new().with_lease(lease)),
                ),
                // The run's list of holders: same revision as the lock key, so its
                // create revision is this holder's epoch (reports show takeovers).
                TxnOp::put(
                    self.key(&format!("runs/{run_id}/holders/{lease:016x}")),
                    serde_json::to_string(&value).expect("holder serializes"),
                    None,
                ),
            ])
            .or_else([TxnOp::get(key.clone(), None)]);
        let c = self.client.clone();
        let r =
            wait(self.rt(), async move { rpc::txn(c, txn).await }).map_err(|e| self.remote(e))?;
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
            let ttl = self
                .holder_of(name)
                .and_then(|h| h.lease_ttl)
                .map_or(self.ttl, |d| d.as_secs());
            return Err(StateError::Locked(format!(
                "runbook `{name}` is locked by {who} (etcd {}); its lease expires within {ttl} s of its controller's loss",
                self.url
            )));
        }
        let epoch = r.header().map(|h| h.revision()).unwrap_or_default();
        let lost = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Held {
            key,
            epoch,
            lost: lost.clone(),
            ttl: self.ttl,
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
}
