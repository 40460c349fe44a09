//! `drctl watch [RUN_ID]`: follow a run from any terminal that sees its state (the same
//! `--state-dir`, or `--state etcd://…` from another controller). The journal is read
//! every `--interval` ms; on a terminal the view is redrawn (phase, current step, hosts,
//! elapsed vs the RTO objective, a failing host's stderr), otherwise each new record is a
//! plain line. Ends with the run: the summary, and the run's own exit code. A run that
//! already ended prints its summary at once; a run whose process is gone without an end
//! (crashed) ends the watch with exit 5, as `drctl resume` would find it.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use drctl_core::Exit;
use drctl_core::record::{Loaded, Record};
use drctl_core::store::RunStore;
use drctl_core::time::ts_ms;
use drctl_report::after_action::RunReport;
use drctl_report::formats;

use super::args::WatchArgs;
use super::context;
use crate::error::Failure;

/// The exit code a journaled run end carries, as drctl's own.
pub fn exit_of(code: i32) -> Exit {
    match code {
        0 => Exit::Success,
        1 => Exit::FailedRolledBack,
        2 => Exit::Usage,
        3 => Exit::NeedsHuman,
        4 => Exit::Refused,
        5 => Exit::InFlight,
        6 => Exit::Fenced,
        130 => Exit::Interrupted,
        _ => Exit::NeedsHuman,
    }
}

fn secs(ms: i64) -> String {
    let s = ms.max(0) as f64 / 1000.0;
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", (s / 60.0) as u64, (s as u64) % 60)
    }
}

/// `+12.3s` (`/ RTO 5m0s` when there is an objective) since the run started.
fn clock(l: &Loaded, t: &str) -> String {
    let e = ts_ms(t)
        .zip(ts_ms(&l.header.started_at))
        .map_or(0, |(a, b)| a - b);
    match l.header.rto_ms {
        Some(rto) => format!("[+{} / RTO {}]", secs(e), secs(rto as i64)),
        None => format!("[+{}]", secs(e)),
    }
}

/// `step` or `rollback of`.
fn what(phase: &drctl_core::Phase) -> &'static str {
    match phase {
        drctl_core::Phase::Forward => "step",
        drctl_core::Phase::Rollback => "rollback of",
    }
}

fn tail(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// One plain line (or a few) for a journal record.
fn line(l: &Loaded, r: &Record) -> Option<String> {
    let run = &l.header.run_id;
    let s = match r {
        Record::Header(h) => format!(
            "watching run {} ({} `{}`, {}) started by {} on {} at {}",
            h.run_id,
            h.kind,
            h.name,
            h.mode.as_str(),
            h.user,
            h.controller,
            h.started_at
        ),
        Record::Started {
            t,
            step,
            host,
            phase,
            ..
        } => format!("{} {} `{step}` started on {host}", clock(l, t), what(phase)),
        Record::Finished {
            t,
            step,
            host,
            phase,
            ok,
            exit,
            duration_ms,
            error,
            stderr_tail,
            ..
        } => {
            let mut s = format!(
                "{} {} `{step}` on {host}: {} (exit {}, {})",
                clock(l, t),
                what(phase),
                if *ok { "ok" } else { "FAILED" },
                exit.map_or("-".into(), |e| e.to_string()),
                secs(*duration_ms as i64)
            );
            if !ok {
                if let Some(e) = error {
                    let _ = write!(s, ": {e}");
                }
                for t in tail(stderr_tail, 5) {
                    let _ = write!(s, "\n    {host} stderr: {t}");
                }
            }
            s
        }
        Record::Skipped { t, step, reason } => {
            format!("{} step `{step}` skipped: {reason}", clock(l, t))
        }
        Record::GateWait {
            t,
            step,
            approvers,
            until,
        } => format!(
            "{} WAITING at gate `{step}` ({approvers} approver(s) needed{}): `drctl approve {run} {step}` or `drctl decline {run} {step} --reason TEXT`",
            clock(l, t),
            until
                .as_ref()
                .map_or(String::new(), |u| format!(", until {u}"))
        ),
        Record::Answer {
            t,
            step,
            verdict,
            by,
            reason,
            counted,
        } => format!(
            "{} gate `{step}`: {verdict} by {}{}{}",
            clock(l, t),
            by.describe(),
            reason.as_ref().map_or(String::new(), |r| format!(": {r}")),
            if *counted {
                ""
            } else {
                " (not counted: same person twice)"
            }
        ),
        Record::Gate {
            t,
            step,
            approved_by,
            ..
        } => format!(
            "{} gate `{step}` passed: approved by {approved_by}",
            clock(l, t)
        ),
        Record::StepEnd {
            t,
            step,
            phase,
            ok,
            failed_hosts,
            ..
        } => {
            if *ok {
                format!("{} {} `{step}` done", clock(l, t), what(phase))
            } else {
                format!(
                    "{} {} `{step}` FAILED on {}",
                    clock(l, t),
                    what(phase),
                    failed_hosts.join(", ")
                )
            }
        }
        Record::RollbackBegin { t, reason, .. } => {
            format!("{} ROLLBACK started: {reason}", clock(l, t))
        }
        Record::Decision {
            t,
            step,
            host,
            decision,
            ..
        } => format!("{} `{step}` on {host}: {decision}", clock(l, t)),
        Record::NotifyFailed { t, url, event, .. } => {
            format!(
                "{} warning: `{event}` notification to {url} not delivered",
                clock(l, t)
            )
        }
        Record::RunEnd {
            t,
            outcome,
            exit,
            message,
        } => format!(
            "{} run ended: {outcome} (exit {exit}): {message}",
            clock(l, t)
        ),
    };
    Some(s)
}

/// The whole view, for a terminal.
fn screen(l: &Loaded, r: &RunReport) -> String {
    let mut s = String::new();
    let now = drctl_core::time::t();
    let _ = writeln!(
        s,
        "drctl watch: {} ({} `{}`, {}) by {} on {}",
        r.run_id, r.kind, r.name, r.mode, r.user, r.controller
    );
    let _ = writeln!(s, "{}", clock(l, &now));
    // The current step: the one the latest record is about (a gate waiting counts).
    let mut latest: Option<(&str, bool)> = None;
    for rec in &l.records {
        match rec {
            Record::Started { step, .. } | Record::StepEnd { step, .. } => {
                latest = Some((step, false))
            }
            Record::GateWait { step, .. } => latest = Some((step, true)),
            Record::Gate { step, .. } | Record::Skipped { step, .. } => {
                latest = Some((step, false))
            }
            _ => {}
        }
    }
    let current = latest.and_then(|(id, waiting)| {
        let base = id.split('[').next().unwrap_or(id);
        r.steps
            .iter()
            .find(|st| st.id == id || st.id == base)
            .map(|st| (st, waiting))
    });
    if let Some((st, waiting)) = current {
        let phase = if l
            .records
            .iter()
            .any(|x| matches!(x, Record::RollbackBegin { .. }))
        {
            "rollback".to_string()
        } else {
            st.phase.clone().unwrap_or_else(|| "-".into())
        };
        let state = if waiting && st.state != "approved" {
            "waiting for approval"
        } else {
            st.state.as_str()
        };
        let _ = writeln!(
            s,
            "phase: {phase}   step: `{}` {} ({state})",
            st.id, st.title
        );
        for h in st.hosts.iter().chain(&st.rollback) {
            let state = match h.ok {
                None => "running".to_string(),
                Some(true) => "ok".into(),
                Some(false) => format!(
                    "FAILED (exit {})",
                    h.exit.map_or("-".into(), |e| e.to_string())
                ),
            };
            let _ = writeln!(s, "  {:<16} {state}", h.host);
        }
    }
    for rec in l.records.iter().rev().take(1) {
        if let Record::GateWait { .. } = rec
            && let Some(x) = line(l, rec)
        {
            let _ = writeln!(s, "{x}");
        }
    }
    for f in r.failures.iter().rev().take(2) {
        let _ = writeln!(s, "failing: `{}` on {}:", f.step, f.host);
        for t in tail(&f.stderr_tail, 5) {
            let _ = writeln!(s, "    {t}");
        }
    }
    s
}

pub fn run(a: WatchArgs) -> anyhow::Result<Exit> {
    let store = context::store(a.state_dir.clone())?;
    let id = match &a.run_id {
        Some(id) => id.clone(),
        None => store
            .list_runs()
            .map_err(|e| Failure::usage(e.to_string()))?
            .pop()
            .ok_or_else(|| Failure::usage(format!("no runs in {}", store.location())))?,
    };
    let live = !a.no_progress && std::io::stdout().is_terminal();
    let mut shown = 0usize;
    let mut gone = 0;
    loop {
        let l = super::status::load(store.as_ref(), &id)?;
        let end = l.records.iter().find_map(|r| match r {
            Record::RunEnd { exit, .. } => Some(*exit),
            _ => None,
        });
        let saved = store.saved_runbook(&id).ok();
        let report = RunReport::build(saved.as_deref(), &l);
        let mut out = std::io::stdout().lock();
        if live {
            let _ = write!(out, "\x1b[H\x1b[2J{}", screen(&l, &report));
        } else {
            for r in &l.records[shown.min(l.records.len())..] {
                if let Some(x) = line(&l, r) {
                    let _ = writeln!(out, "{x}");
                }
            }
        }
        shown = l.records.len();
        if let Some(code) = end {
            let _ = write!(out, "{}", formats::summary(&report));
            let _ = out.flush();
            return Ok(exit_of(code));
        }
        let _ = out.flush();
        drop(out);
        if running(store.as_ref(), &l) {
            gone = 0;
        } else {
            // Read the journal once more before concluding: the end is journaled before
            // the lock is released.
            gone += 1;
            if gone > 2 {
                println!(
                    "the run's drctl is gone without an end (crashed or killed): `drctl resume {id}` decides"
                );
                return Ok(Exit::InFlight);
            }
        }
        std::thread::sleep(Duration::from_millis(a.interval));
    }
}

/// Whether a live drctl holds the run.
fn running(store: &dyn RunStore, l: &Loaded) -> bool {
    store
        .holder(&l.header.name)
        .is_some_and(|h| h.run_id == l.header.run_id && h.alive)
}
