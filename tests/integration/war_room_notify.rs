//! `notify:` in the inventory (issue 15): merged with the runbook's, sent by `run`,
//! `resume` and `rollback` runs to a real HTTP receiver on 127.0.0.1; a receiver that is
//! down costs the run nothing and is named in the reports (md, json, html).

use std::sync::mpsc;
use std::time::Duration;

use crate::builder::Drctl;
use crate::notify::receiver;

const RB: &str = r#"drctl: 1
kind: failover
name: nfy
steps:
  - id: fence
    on: h1
    run: echo fenced >> "$HOST_DIR/log"
    rollback: echo unfenced >> "$HOST_DIR/log"
  - id: go
    approve: Promote h1?
  - id: promote
    on: h1
    run: echo promoted >> "$HOST_DIR/log"
"#;

/// A lab of one host whose inventory carries `notify` (YAML text, indented as a list).
fn with_inventory_notify(notify: &str) -> Drctl {
    with_notify(notify, RB)
}

fn with_notify(notify: &str, runbook: &str) -> Drctl {
    let d = Drctl::new().hosts(1);
    let inv = d.sandbox().lab().inventory(&[]);
    let text = std::fs::read_to_string(&inv).unwrap();
    let path = d.sandbox().path("inv-notify.yaml");
    std::fs::write(&path, format!("notify:\n{notify}{text}")).unwrap();
    d.inventory(&path).runbook("rb.yaml", runbook)
}

fn events(rx: &mpsc::Receiver<(String, String)>) -> Vec<(String, String)> {
    std::thread::sleep(Duration::from_millis(300));
    rx.try_iter()
        .filter_map(|(_, b)| serde_json::from_str::<serde_json::Value>(&b).ok())
        .map(|v| {
            (
                v["event"].as_str().unwrap_or("").to_string(),
                v["run_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn inventory_notify_reaches_a_real_receiver_on_run_resume_and_rollback() {
    let (url, rx) = receiver();
    let d = with_inventory_notify(&format!(
        "  - url: {url}\n    events: [start, gate, rollback, finish]\n"
    ));
    let out = d.args(["failover", "{runbook}", "-i", "{inventory}"]).run();
    out.status(5);
    let id = out.run_id();
    let got = events(&rx);
    for e in ["start", "gate", "finish"] {
        assert!(
            got.iter().any(|(ev, r)| ev == e && r == &id),
            "{e}: {got:?}"
        );
    }
    let sb = out.sandbox().clone();
    sb.drctl()
        .args(["resume", &id, "--approve", "go"])
        .run()
        .status(0);
    assert_eq!(sb.lab().lines("h1", "log"), ["fenced", "promoted"]);
    let got = events(&rx);
    for e in ["start", "finish"] {
        assert!(
            got.iter().any(|(ev, r)| ev == e && r == &id),
            "resume {e}: {got:?}"
        );
    }
    sb.drctl().args(["rollback", &id]).run().status(0);
    assert_eq!(
        sb.lab().lines("h1", "log"),
        ["fenced", "promoted", "unfenced"]
    );
    let got = events(&rx);
    // A rollback run starts with its rollback.
    for e in ["rollback", "finish"] {
        assert!(
            got.iter().any(|(ev, r)| ev == e && r == &id),
            "rollback {e}: {got:?}"
        );
    }
}

#[test]
fn a_dead_receiver_costs_nothing_and_is_named_in_the_reports() {
    // Nothing listens on this port: every POST is refused, retried, given up.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let (url, rx) = receiver();
    // The runbook has a receiver of its own, which still gets its messages: the
    // inventory's receivers are added, they replace nothing.
    let rb = RB.replace(
        "steps:\n",
        &format!("notify:\n  - url: {url}\n    events: [finish]\nsteps:\n"),
    );
    let d = with_notify(
        &format!(
            "  - url: http://127.0.0.1:{port}/hooks/T0/s3cr3t-token\n    events: [start, finish]\n"
        ),
        &rb,
    );
    let out = d
        .args(["failover", "{runbook}", "-i", "{inventory}", "--yes"])
        .args(["--report-dir", "{dir}/reports"])
        .run();
    out.status(0).stderr_has("warning: notify:");
    let got = events(&rx);
    assert!(got.iter().any(|(e, _)| e == "finish"), "{got:?}");
    let sb = out.sandbox().clone();
    assert_eq!(sb.lab().lines("h1", "log"), ["fenced", "promoted"]);
    let md = std::fs::read_to_string(sb.path("reports/drctl-nfy.md")).unwrap();
    assert!(md.contains("## Notifications not delivered"), "{md}");
    assert!(md.contains(&format!("http://127.0.0.1:{port}/…")), "{md}");
    assert!(!md.contains("s3cr3t-token"), "{md}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path("reports/drctl-nfy.json")).unwrap())
            .unwrap();
    let failures = v["notify_failures"].as_array().unwrap();
    assert!(
        failures
            .iter()
            .any(|f| f.as_str().unwrap().contains("`finish`")),
        "{v}"
    );
    let html = std::fs::read_to_string(sb.path("reports/drctl-nfy.html")).unwrap();
    assert!(html.contains("id=\"notify-failures\""));
    assert!(sb.journal().contains("\"ev\":\"notify_failed\""));
}
