//! `drctl status` and `drctl runs`, read from the journals; and the drill verdict.

use serde_json::json;

use drctl_core::checkpoint::Checkpoint;
use drctl_core::record::{Loaded, Record};
use drctl_core::store::{RunStore, StateError};
use drctl_core::time::ts_ms;
use drctl_model::runbook::duration::format_duration;
use drctl_report::after_action::RunReport;

use super::args::{Format, RunsArgs, StatusArgs};
use crate::error::{Exit, Failure};

/// A stored run's journal, or a usage error naming the run.
pub fn load(store: &dyn RunStore, id: &str) -> Result<Loaded, Failure> {
    store.load_run(id).map_err(|e| match e {
        StateError::NoSuchRun(_) => {
            Failure::usage(format!("no run `{id}` in {}", store.location()))
                .hint("`drctl runs` lists runs")
        }
        e => Failure::usage(e.to_string()),
    })
}

/// A run with no end whose lock is held by a live process is running, not stopped or
/// crashed: say so, with the step it is at.
pub fn live(store: &dyn RunStore, l: &Loaded) -> Option<String> {
    if Checkpoint::from_journal(l).ended.is_some() {
        return None;
    }
    let h = store.holder(&l.header.name)?;
    if h.run_id != l.header.run_id || !h.alive {
        return None;
    }
    let at = l.records.iter().rev().find_map(|r| match r {
        Record::Started { step, phase, .. } => Some(match phase {
            drctl_core::Phase::Forward => format!("step `{step}`"),
            drctl_core::Phase::Rollback => format!("the rollback of `{step}`"),
        }),
        _ => None,
    });
    Some(format!(
        "running ({}, pid {} on {} since {})",
        at.unwrap_or_else(|| "starting".into()),
        h.pid,
        h.controller,
        h.since
    ))
}

/// The most recent run's id.
pub fn latest_run(store: &dyn RunStore) -> Option<String> {
    store.list_runs().ok()?.pop()
}

pub fn runs(a: RunsArgs) -> anyhow::Result<Exit> {
    let store = super::context::store(a.state_dir)?;
    let mut rows = Vec::new();
    for id in store
        .list_runs()
        .map_err(|e| Failure::usage(e.to_string()))?
    {
        let Ok(l) = store.load_run(&id) else {
            rows.push(json!({ "run_id": id, "outcome": "unreadable journal" }));
            continue;
        };
        let cp = Checkpoint::from_journal(&l);
        let (o, exit) = match live(&*store, &l) {
            Some(running) => (running, None),
            None => cp.outcome(),
        };
        let end = l.records.iter().rev().find_map(|r| match r {
            Record::RunEnd { t, .. } => Some(t.clone()),
            _ => None,
        });
        let dur = end
            .as_deref()
            .and_then(ts_ms)
            .zip(ts_ms(&l.header.started_at))
            .map(|(e, s)| e - s);
        rows.push(json!({ "run_id": id, "name": l.header.name, "kind": l.header.kind, "mode": l.header.mode, "user": l.header.user, "sudo_user": l.header.sudo_user,
            "started_at": l.header.started_at, "outcome": o, "exit": exit, "duration_ms": dur }));
    }
    if a.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if rows.is_empty() {
        println!("no runs in {}", store.location());
    } else {
        println!(
            "{:<48} {:<6} {:<26} {:<22} {:>8}",
            "RUN ID", "MODE", "STARTED", "OUTCOME", "TOOK"
        );
        for r in rows {
            let dur = r["duration_ms"]
                .as_i64()
                .map(|d| format_duration(std::time::Duration::from_millis(d.max(0) as u64)))
                .unwrap_or_default();
            println!(
                "{:<48} {:<6} {:<26} {:<22} {:>8}",
                r["run_id"].as_str().unwrap_or(""),
                r["mode"].as_str().unwrap_or(""),
                r["started_at"].as_str().unwrap_or(""),
                r["outcome"].as_str().unwrap_or(""),
                dur
            );
        }
    }
    Ok(Exit::Success)
}

pub fn status(a: StatusArgs) -> anyhow::Result<Exit> {
    let store = super::context::store(a.state_dir)?;
    let id = match a.run_id {
        Some(id) => id,
        None => latest_run(&*store).ok_or_else(|| Failure::usage("no runs yet"))?,
    };
    let l = load(&*store, &id)?;
    // The same model as `drctl report`: one reading of the journal.
    let report = RunReport::build(store.saved_runbook(&id).ok().as_deref(), &l);
    let (o, exit) = match live(&*store, &l) {
        Some(running) => (running, None),
        None => (report.outcome.clone(), report.exit),
    };
    let mut steps = Vec::new();
    for s in &report.steps {
        let mut hosts = serde_json::Map::new();
        for h in &s.hosts {
            let undo = s.rollback.iter().find(|r| r.host == h.host).map(|r| r.ok);
            let txt = match (h.ok, undo) {
                (_, Some(Some(true))) => "rolled back",
                (_, Some(None)) => "rollback in flight (unknown)",
                (_, Some(Some(false))) => "rollback FAILED",
                (Some(true), None) => "done",
                (Some(false), None) => "FAILED",
                (None, None) => "in flight (unknown)",
            };
            hosts.insert(h.host.clone(), json!(txt));
        }
        steps.push(json!({ "id": s.id, "state": s.state, "hosts": hosts }));
    }
    let view = json!({ "run_id": id, "name": l.header.name, "kind": l.header.kind, "mode": l.header.mode, "user": l.header.user, "sudo_user": l.header.sudo_user,
        "started_at": l.header.started_at, "outcome": o, "exit": exit, "torn_tail": l.torn_tail, "steps": steps });
    if a.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        println!(
            "run {id}: {} {} of {} by {} at {}",
            o,
            l.header.mode.as_str(),
            l.header.name,
            drctl_core::record::who(&l.header.user, l.header.sudo_user.as_deref()),
            l.header.started_at
        );
        for s in &steps {
            let hosts: Vec<String> = s["hosts"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(h, v)| format!("{h}: {}", v.as_str().unwrap_or("")))
                        .collect()
                })
                .unwrap_or_default();
            println!(
                "  {:<28} {:<10} {}",
                s["id"].as_str().unwrap_or(""),
                s["state"].as_str().unwrap_or(""),
                hosts.join(", ")
            );
        }
    }
    Ok(Exit::Success)
}
