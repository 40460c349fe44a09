//! `notify:` (issue 15): a run POSTs its events to a real HTTP receiver on 127.0.0.1; a
//! receiver that is down or hangs costs a warning, never the run's outcome or much time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::builder::Drctl;

/// A tiny HTTP receiver: each request's head and body down the channel.
pub(crate) fn receiver() -> (String, mpsc::Receiver<(String, String)>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let mut r = BufReader::new(c.try_clone().unwrap());
            let (mut head, mut len) = (String::new(), 0);
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
            let _ = c.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
            let _ = tx.send((head, String::from_utf8_lossy(&body).into_owned()));
        }
    });
    (url, rx)
}

fn runbook(notify: &str, fail: bool) -> Drctl {
    let text = format!(
        "drctl: 1\nkind: failover\nname: nt\nvars:\n  token: {{ env: NT_TOKEN, secret: true }}\n{notify}steps:\n  - id: a\n    on: local\n    run: echo using {{{{ token }}}}; sleep 0.3\n  - id: b\n    on: local\n    run: {}\n",
        if fail { "exit 7" } else { "'true'" }
    );
    Drctl::new()
        .runbook("rb.yaml", &text)
        .env("NT_TOKEN", "tok-s3cr3t")
        .args(["run", "{runbook}"])
}

#[test]
fn a_run_notifies_a_real_receiver_without_leaking_its_secret() {
    let (url, got) = receiver();
    let notify = format!(
        "notify:\n  - url: {url}\n    events: [start, step-failed, finish, status]\n    every: 100ms\n    headers:\n      Authorization: 'Bearer {{{{ token }}}}'\n  - url: {url}\n    format: slack\n    events: [step-failed]\n"
    );
    let out = runbook(&notify, true).run();
    out.status_not(0);
    let all: Vec<(String, String)> = got.try_iter().collect();
    let json: Vec<serde_json::Value> = all
        .iter()
        .filter_map(|(_, b)| serde_json::from_str(b).ok())
        .collect();
    let events: Vec<String> = json
        .iter()
        .filter_map(|b| b["event"].as_str().map(String::from))
        .collect();
    for e in ["start", "step-failed", "finish", "status"] {
        assert!(events.iter().any(|x| x == e), "{e} not in {events:?}");
    }
    let fin = json.iter().find(|b| b["event"] == "finish").unwrap();
    assert_eq!(fin["drctl_notify"], 1);
    assert_eq!(fin["name"], "nt");
    assert_eq!(fin["kind"], "failover");
    assert_eq!(fin["run_id"].as_str().unwrap(), out.run_id());
    assert_eq!(fin["exit"].as_i64(), out.code().map(i64::from));
    assert!(
        json.iter()
            .any(|b| b["text"].as_str().is_some_and(|t| t.contains("`b` FAILED"))),
        "slack payload: {all:?}"
    );
    for (head, body) in &all {
        assert!(!body.contains("tok-s3cr3t"), "secret in a payload: {body}");
        if body.contains("drctl_notify") {
            assert!(
                head.to_ascii_lowercase()
                    .contains("authorization: bearer tok-s3cr3t"),
                "{head}"
            );
        }
    }
}

#[test]
fn a_dead_or_hanging_receiver_does_not_stop_or_slow_the_run() {
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/", dead.local_addr().unwrap());
    drop(dead);
    let hang = TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_url = format!("http://{}/", hang.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in hang.incoming() {
            held.push(c);
        }
    });
    let notify = format!("notify:\n  - url: {dead_url}\n  - url: {hang_url}\n    format: slack\n");
    let t = Instant::now();
    let out = runbook(&notify, false).run();
    out.status(0).stderr_has("warning: notify:");
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "the run waited on its receivers: {:?}",
        t.elapsed()
    );
}

#[test]
fn run_format_json_streams_events_as_json_lines_on_stdout() {
    let out = runbook("", false).args(["--format", "json"]).run();
    out.status(0);
    let events: Vec<serde_json::Value> = out
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"run-started"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"run-finished"), "{kinds:?}");
    assert!(kinds.contains(&"host-done"), "{kinds:?}");
    assert!(!out.stdout().contains("tok-s3cr3t"), "secret on stdout");
}
