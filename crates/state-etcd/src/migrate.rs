//! Importing a run kept elsewhere (a local state directory) into etcd, for
//! `drctl state migrate`: its journal, runbook copy and header, written so that the run
//! appears whole or not at all (the header, which makes it visible, goes last).

use etcd_client::{Compare, CompareOp, Txn, TxnOp};

use drctl_core::record::{Loaded, Record, stamped_line};
use drctl_core::store::{RunStore, StateError};

use crate::rpc;
use crate::{EtcdStore, wait_on};

/// What importing one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunImport {
    /// Copied now.
    Copied { records: usize },
    /// etcd already had this run, record for record (an earlier migration).
    Present,
    /// etcd has a run with this id whose journal differs: nothing was written.
    Differs { reason: String },
}

/// Keep a transaction well under etcd's 1.5 MiB request limit and 128 operations.
const MAX_TXN_BYTES: usize = 1 << 20;
const MAX_TXN_OPS: usize = 100;

impl EtcdStore {
    /// Import run `l` (and its saved runbook) unless etcd already has a run with its id.
    pub fn import_run(&self, l: &Loaded, runbook: &str) -> Result<RunImport, StateError> {
        let id = &l.header.run_id;
        let lines = l
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| stamped_line(r, l.epoch_of(i)))
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| self.remote(e))?;
        let base = self.key(&format!("runs/{id}/"));
        if self.get(format!("{base}header"))?.is_some() {
            let there = self.load_run(id)?;
            let same = there.records.len() == l.records.len()
                && there
                    .records
                    .iter()
                    .zip(&l.records)
                    .all(|(a, b)| serde_json::to_value(a).ok() == serde_json::to_value(b).ok());
            return Ok(if same {
                RunImport::Present
            } else {
                RunImport::Differs {
                    reason: format!(
                        "etcd already has run {id} with {} records, the directory {}",
                        there.records.len(),
                        l.records.len()
                    ),
                }
            });
        }
        // Records first (invisible without a header), in bounded transactions.
        let body: Vec<(String, &String)> = lines
            .iter()
            .zip(&l.records)
            .filter(|(_, r)| !matches!(r, Record::Header(_)))
            .enumerate()
            .map(|(seq, (line, _))| (format!("{base}records/{seq:020}"), line))
            .collect();
        let mut ops = Vec::new();
        let mut bytes = 0;
        for (k, v) in &body {
            if ops.len() >= MAX_TXN_OPS || bytes + v.len() > MAX_TXN_BYTES {
                self.put_all(std::mem::take(&mut ops))?;
                bytes = 0;
            }
            bytes += k.len() + v.len();
            ops.push(TxnOp::put(k.as_str(), v.as_str(), None));
        }
        self.put_all(ops)?;
        // Then the header, the runbook and the tail, only if no run took this id meanwhile.
        let header = lines
            .iter()
            .zip(&l.records)
            .find(|(_, r)| matches!(r, Record::Header(_)))
            .map(|(line, _)| line.clone())
            .unwrap_or_else(|| {
                stamped_line(&Record::Header(l.header.clone()), 0).unwrap_or_default()
            });
        let txn = Txn::new()
            .when([Compare::create_revision(
                format!("{base}header"),
                CompareOp::Equal,
                0,
            )])
            .and_then([
                TxnOp::put(format!("{base}header"), header, None),
                TxnOp::put(format!("{base}runbook"), runbook, None),
                TxnOp::put(format!("{base}next"), body.len().to_string(), None),
            ]);
        let c = self.client.clone();
        let r = wait_on(self.rt().handle(), async move { rpc::txn(c, txn).await })
            .map_err(|e| self.remote(e))?;
        if !r.succeeded() {
            return Ok(RunImport::Differs {
                reason: format!("run {id} appeared in etcd while it was imported"),
            });
        }
        Ok(RunImport::Copied {
            records: body.len(),
        })
    }

    fn put_all(&self, ops: Vec<TxnOp>) -> Result<(), StateError> {
        if ops.is_empty() {
            return Ok(());
        }
        let c = self.client.clone();
        let txn = Txn::new().and_then(ops);
        wait_on(self.rt().handle(), async move { rpc::txn(c, txn).await })
            .map_err(|e| self.remote(e))?;
        Ok(())
    }
}
