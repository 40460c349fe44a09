//! `drctl state migrate`: copy the runs of a local state directory (journals, runbook
//! copies, the audit chain) into etcd, so `runs`, `status`, `report` and `audit verify`
//! answer the same against the cluster. A live (locked) run is refused; runs and audit
//! entries already copied are recognised, so running it again is harmless.

use std::path::PathBuf;

use drctl_core::store::RunStore;
use drctl_state_etcd::{Import, RunImport};
use drctl_state_fs::StateDir;

use super::context;
use crate::error::{Exit, Failure};

pub fn migrate(from: Option<PathBuf>, to: Option<String>) -> anyhow::Result<Exit> {
    let url = to.or_else(context::state_url).ok_or_else(|| {
        Failure::usage("state migrate: name the etcd store with --to etcd://… (or --state)")
    })?;
    if !(url.starts_with("etcd://") || url.starts_with("etcds://")) {
        return Err(Failure::usage(format!(
            "state migrate --to `{url}`: expected etcd://HOST:PORT[,HOST:PORT…][/PREFIX]"
        ))
        .into());
    }
    let dir = StateDir::resolve(from);
    if !dir.runs().is_dir() && !dir.audit().is_file() {
        return Err(Failure::usage(format!(
            "state migrate: {} holds no runs and no audit journal",
            dir.location()
        ))
        .into());
    }
    let etcd = context::etcd(&url)?;
    let fail = |e: drctl_core::store::StateError| Failure::usage(e.to_string());
    // The audit chains first: one that cannot be merged stops everything, before any copy.
    let lines = audit_lines(&dir)?;
    if let Err(e) = etcd.import_audit(&lines, Import::Check) {
        return Err(
            Failure::new(Exit::Refused, format!("state migrate: nothing copied: {e}")).into(),
        );
    }
    let (mut copied, mut present, mut refused) = (0, 0, 0);
    for id in dir.list_runs().map_err(fail)? {
        let l = match dir.load_run(&id) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{id}: refused: {e}");
                refused += 1;
                continue;
            }
        };
        if let Some(h) = dir.holder(&l.header.name)
            && h.alive
            && h.run_id == id
        {
            eprintln!(
                "{id}: refused: the run is live (locked by pid {} on {} since {}); migrate it once it has stopped",
                h.pid, h.controller, h.since
            );
            refused += 1;
            continue;
        }
        let text = dir.saved_runbook(&id).unwrap_or_default();
        match etcd.import_run(&l, &text).map_err(fail)? {
            RunImport::Copied { records } => {
                println!("{id}: copied ({records} records)");
                copied += 1;
            }
            RunImport::Present => {
                println!("{id}: already in {url}, left as it is");
                present += 1;
            }
            RunImport::Differs { reason } => {
                eprintln!("{id}: refused: {reason}");
                refused += 1;
            }
        }
    }
    match etcd.import_audit(&lines, Import::Copy) {
        Ok(a) => println!(
            "audit: {} entries copied, {} already there",
            a.copied, a.present
        ),
        Err(e) => {
            eprintln!("audit: refused: {e}");
            refused += 1;
        }
    }
    println!(
        "{copied} runs copied, {present} already in {url}, {refused} refused; {} is left as it was",
        dir.location()
    );
    Ok(if refused > 0 {
        Exit::Refused
    } else {
        Exit::Success
    })
}

/// The directory's audit chain, line by line, exactly as written (hashes are of lines).
fn audit_lines(dir: &StateDir) -> Result<Vec<String>, Failure> {
    let p = dir.audit();
    match std::fs::read_to_string(&p) {
        Ok(s) => Ok(s
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Failure::usage(format!("{}: {e}", p.display()))),
    }
}
