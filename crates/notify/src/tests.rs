//! Unit tests of the notifier: real local receivers, JSON and Slack payloads, dead and hanging receivers.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

/// A tiny HTTP receiver on 127.0.0.1: sends each request's body down the channel.
fn receiver() -> (String, mpsc::Receiver<(String, String)>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let mut r = BufReader::new(c.try_clone().unwrap());
            let mut head = String::new();
            let mut len = 0;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            let _ =
                c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            let _ = tx.send((head, String::from_utf8_lossy(&body).into_owned()));
        }
    });
    (url, rx)
}

fn rx(url: &str, format: &str, every: Duration) -> Receiver {
    Receiver {
        url: url.into(),
        format: format.into(),
        events: [
            "start",
            "gate",
            "step-failed",
            "rollback",
            "finish",
            "status",
        ]
        .map(String::from)
        .to_vec(),
        every,
        headers: vec![("authorization".into(), "Bearer s3cr3t".into())],
    }
}

fn mask() -> Mask {
    Arc::new(|t: &str| t.replace("s3cr3t", "***"))
}

fn info() -> RunInfo {
    RunInfo {
        runbook: "/rb.yaml".into(),
        name: "pg".into(),
        kind: "failover".into(),
        severity: Some("sev1".into()),
        rto: Some(Duration::from_secs(60)),
    }
}

fn run(n: &Notifier) {
    n.event(&Event::RunStarted {
        run_id: "r-1".into(),
        name: "pg".into(),
        kind: "failover".into(),
        mode: drctl_core::RunMode::Run,
        steps: 2,
        resumed: false,
    });
    n.event(&Event::StepFinished {
        id: "fence".into(),
        ok: false,
        failed: vec!["db1".into()],
        duration: Duration::from_millis(5),
        run_phase: drctl_core::Phase::Forward,
    });
    n.event(&Event::RunFinished {
        outcome: drctl_core::Outcome::Aborted,
        exit: 3,
        duration: Duration::from_millis(9),
        message: "token s3cr3t leaked?".into(),
    });
}

#[test]
fn json_and_slack_payloads_reach_a_real_receiver_with_headers_and_no_secret() {
    let (url, got) = receiver();
    let n = Notifier::new(
        vec![
            rx(&url, "json", Duration::from_millis(100)),
            rx(&url, "slack", Duration::from_secs(3600)),
        ],
        info(),
        mask(),
    );
    std::thread::sleep(Duration::from_millis(250));
    run(&n);
    n.finish(Duration::from_secs(5));
    let all: Vec<(String, String)> = got.try_iter().collect();
    let bodies: Vec<Value> = all
        .iter()
        .map(|(_, b)| serde_json::from_str(b).unwrap())
        .collect();
    let json: Vec<&Value> = bodies
        .iter()
        .filter(|b| b.get("drctl_notify").is_some())
        .collect();
    let events: Vec<&str> = json.iter().map(|b| b["event"].as_str().unwrap()).collect();
    assert!(events.contains(&"status"), "{events:?}");
    assert!(
        events.ends_with(&["start", "step-failed", "finish"]) || events.contains(&"finish"),
        "{events:?}"
    );
    let failed = json.iter().find(|b| b["event"] == "step-failed").unwrap();
    assert_eq!(failed["step"], "fence");
    assert_eq!(failed["hosts"][0], "db1");
    assert_eq!(failed["run_id"], "r-1");
    let fin = json.iter().find(|b| b["event"] == "finish").unwrap();
    assert_eq!(fin["exit"], 3);
    assert_eq!(fin["steps_done"], 1);
    assert!(
        bodies
            .iter()
            .any(|b| b["text"].as_str().is_some_and(|t| t.contains("FAILED")))
    );
    for (head, body) in &all {
        assert!(
            head.contains("authorization: Bearer s3cr3t"),
            "header sent: {head}"
        );
        assert!(!body.contains("s3cr3t"), "secret in a payload: {body}");
    }
}

#[test]
fn a_dead_or_hanging_receiver_costs_a_warning_not_time() {
    // Down: nothing listens on this port.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/", dead.local_addr().unwrap());
    drop(dead);
    // Hanging: accepts and never answers.
    let hang = TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_url = format!("http://{}/", hang.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in hang.incoming() {
            held.push(c);
        }
    });
    let n = Notifier::with_timeout(
        vec![
            rx(&dead_url, "json", Duration::from_secs(3600)),
            rx(&hang_url, "slack", Duration::from_secs(3600)),
        ],
        info(),
        mask(),
        Duration::from_millis(300),
    );
    let t = Instant::now();
    run(&n);
    assert!(
        t.elapsed() < Duration::from_millis(50),
        "events never block: {:?}",
        t.elapsed()
    );
    n.finish(Duration::from_secs(2));
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(n.warnings() > 0);
}
