//! `drctl hosts`: connect to every host a runbook would touch — through its bastions, with
//! strict host keys, authentication and become — and print a table, running no step.

use std::sync::Arc;

use drctl_core::RunMode;
use drctl_engine::reach::{self, HostReach, ReachVerdict, Reached};
use drctl_ssh::RealConnector;

use super::args::{HostsArgs, TableFormat};
use super::context;
use crate::error::Exit;

pub fn run(a: HostsArgs) -> anyhow::Result<Exit> {
    let target = context::target(&a.target)?;
    let plan = context::load(&target, RunMode::Run, |_| "<hosts>".to_string())?;
    let hosts = reach::plan_hosts(&plan);
    let results = reach::check_hosts(&hosts, Arc::new(RealConnector::new()));
    match a.format {
        TableFormat::Json => println!("{}", serde_json::to_string_pretty(&json(&results))?),
        TableFormat::Text => print!("{}", table(&results)),
    }
    Ok(match reach::verdict(&results) {
        ReachVerdict::AllReached => Exit::Success,
        ReachVerdict::HostKeyProblem => {
            eprintln!("drctl: a host key was refused: the run would be refused too (exit 4)");
            Exit::Refused
        }
        ReachVerdict::SomeUnreachable => {
            eprintln!("drctl: some hosts cannot be reached: the steps on them would fail");
            Exit::FailedRolledBack
        }
    })
}

fn address(r: &HostReach) -> String {
    if r.host.port == 0 {
        r.host.addr.clone()
    } else {
        format!("{}:{}", r.host.addr, r.host.port)
    }
}

/// The bastions in front of the host, first hop first.
fn via(r: &HostReach) -> String {
    match r.host.transport {
        drctl_transport::TransportKind::Local => "local".into(),
        drctl_transport::TransportKind::Ssh if r.host.proxy_jump.is_empty() => "direct".into(),
        drctl_transport::TransportKind::Ssh => r
            .host
            .proxy_jump
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>()
            .join(","),
    }
}

fn ms(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The table, one row per host; problems printed under it in full.
fn table(results: &[HostReach]) -> String {
    let mut rows = vec![[
        "HOST".to_string(),
        "ADDRESS".into(),
        "VIA".into(),
        "USER".into(),
        "RUNS AS".into(),
        "BECOME".into(),
        "CONNECT".into(),
        "LATENCY".into(),
        "STATUS".into(),
    ]];
    for r in results {
        let dash = || "-".to_string();
        let (runs_as, become_col, connect, latency, status) = match &r.result {
            Ok(ok) => (
                ok.account.clone(),
                become_cell(ok),
                ms(ok.connect),
                ms(ok.latency),
                if ok.become_ok() {
                    "ok"
                } else {
                    "BECOME FAILED"
                }
                .to_string(),
            ),
            Err(e) if e.is_host_key() => (dash(), dash(), dash(), dash(), "HOST KEY".into()),
            Err(_) => (dash(), dash(), dash(), dash(), "FAILED".into()),
        };
        rows.push([
            r.host.name.clone(),
            address(r),
            via(r),
            r.host.user.clone(),
            runs_as,
            become_col,
            connect,
            latency,
            status,
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for r in results {
        match &r.result {
            Err(e) => {
                out.push_str(&format!("\n{e}\n"));
                if let Some(h) = e.hint() {
                    out.push_str(&format!("  hint: {h}\n"));
                }
            }
            Ok(ok) => {
                for c in &ok.become_as {
                    if let Err(e) = &c.result {
                        let how = c.become_as.describe();
                        out.push_str(&format!("\n{}: {how} failed: {e}\n", r.host.name));
                    }
                }
            }
        }
    }
    out
}

/// `root ok, postgres FAILED`; `-` when no step becomes anyone there.
fn become_cell(ok: &Reached) -> String {
    if ok.become_as.is_empty() {
        return "-".into();
    }
    ok.become_as
        .iter()
        .map(|c| {
            let verdict = if c.result.is_ok() { "ok" } else { "FAILED" };
            format!("{} {verdict}", c.become_as.user)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn json(results: &[HostReach]) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            let mut v = serde_json::json!({
                "host": r.host.name,
                "address": address(r),
                "via": via(r),
                "user": r.host.user,
            });
            match &r.result {
                Ok(ok) => {
                    v["runs_as"] = ok.account.clone().into();
                    v["connect_ms"] = (ok.connect.as_secs_f64() * 1000.0).into();
                    v["latency_ms"] = (ok.latency.as_secs_f64() * 1000.0).into();
                    v["become"] = ok
                        .become_as
                        .iter()
                        .map(|c| {
                            let how = c.become_as.describe();
                            match &c.result {
                                Ok(who) => {
                                    serde_json::json!({"as": how, "ok": true, "account": who})
                                }
                                Err(e) => serde_json::json!({"as": how, "ok": false, "error": e}),
                            }
                        })
                        .collect::<Vec<_>>()
                        .into();
                    v["ok"] = ok.become_ok().into();
                }
                Err(e) => {
                    v["ok"] = false.into();
                    v["host_key_problem"] = e.is_host_key().into();
                    v["error"] = e.to_string().into();
                }
            }
            v
        })
        .collect();
    serde_json::json!({ "version": 1, "hosts": rows })
}
