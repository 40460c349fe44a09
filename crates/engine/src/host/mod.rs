//! One step on one host: render, run (with retries, `until` polling, timeouts), check
//! `expect`, capture. Blocking; the engine runs it off the async runtime.

mod attempts;
mod render;
mod run;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use drctl_core::Phase;
use drctl_model::plan::Plan;
use drctl_model::runbook::inventory::Host;
use drctl_model::template::Engine;

use crate::pool::Pool;

/// What happened on the host.
#[derive(Debug, Clone, Default)]
pub struct HostOutcome {
    pub ok: bool,
    pub skipped: bool,
    pub exit: Option<i32>,
    pub attempts: u32,
    pub stdout: String,
    pub stderr: String,
    pub error: Option<String>,
    pub captured: Option<(String, String)>,
    pub host_key_refused: bool,
    /// The connection dropped while the command ran: its outcome is unknown.
    pub in_doubt: bool,
    /// The command as sent (secrets not yet masked).
    pub command: String,
    /// The transport's digest of the whole output (empty: computed from the texts).
    pub digest: String,
    /// Bytes stdout really had (its text keeps only both ends of a long one).
    pub stdout_len: u64,
}

impl HostOutcome {
    /// The journal's digest of the output (see `drctl_transport::capture::digest`).
    pub fn digest(&self) -> String {
        if self.digest.is_empty() {
            drctl_transport::capture::digest(
                &drctl_transport::sha256_hex(self.stdout.as_bytes()),
                &drctl_transport::sha256_hex(self.stderr.as_bytes()),
            )
        } else {
            self.digest.clone()
        }
    }
}

/// Everything a host job needs.
pub struct HostJob {
    pub plan: Arc<Plan>,
    pub step: usize,
    pub host: Host,
    pub phase: Phase,
    pub captures: BTreeMap<String, String>,
    pub pool: Arc<Pool>,
    pub engine: Arc<Engine>,
    pub cancel: Arc<AtomicBool>,
    /// The run lock's fencing epoch (`DRCTL_EPOCH`).
    pub epoch: u64,
}

fn fail(msg: String) -> HostOutcome {
    HostOutcome {
        ok: false,
        attempts: 1,
        error: Some(msg),
        ..Default::default()
    }
}
