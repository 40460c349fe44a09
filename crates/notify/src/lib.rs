//! The notifier (issue 15): an [`EventSink`] that turns run events into webhook POSTs.
//!
//! Delivery never touches the run: `event()` only formats a payload and pushes it on a
//! bounded queue (the oldest is dropped, with a note, when full); one background thread
//! POSTs with a short timeout, retries with backoff, and a receiver that is down or hangs
//! costs a warning line on stderr. `status` events are sent every `every` by a ticker
//! thread while the run lasts. Every text is passed through the run's masker first, so no
//! secret leaves in a payload.
//!
//! JSON payload, version [`PAYLOAD_VERSION`]:
//! `{"drctl_notify": 1, "run_id", "runbook", "name", "kind", "severity", "event",
//!   "step", "hosts", "outcome", "exit", "message", "elapsed_ms", "rto_ms",
//!   "steps_done", "steps_total", "left_for_human": [..]}`
//! (absent values are `null`). Slack / Mattermost: `{"text": "..."}`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use drctl_core::events::{Event, EventSink};

mod undelivered;
use serde_json::{Value, json};
pub use undelivered::{Undelivered, redact_url};

/// Version of the JSON payload's shape.
pub const PAYLOAD_VERSION: u32 = 1;
/// Payloads waiting at most; beyond, the oldest is dropped.
pub const QUEUE: usize = 64;

/// One receiver, as the runbook's `notify:` says (headers already rendered).
#[derive(Debug, Clone)]
pub struct Receiver {
    pub url: String,
    /// `json` or `slack`.
    pub format: String,
    pub events: Vec<String>,
    pub every: Duration,
    pub headers: Vec<(String, String)>,
}

/// What every payload says about the run.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    pub runbook: String,
    pub name: String,
    pub kind: String,
    pub severity: Option<String>,
    pub rto: Option<Duration>,
}

type Mask = Arc<dyn Fn(&str) -> String + Send + Sync>;

struct Job {
    receiver: usize,
    event: String,
    body: String,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    dropped: usize,
    closed: bool,
}

struct Shared {
    receivers: Vec<Receiver>,
    info: RunInfo,
    mask: Mask,
    queue: Mutex<Queue>,
    wake: Condvar,
    run_id: Mutex<String>,
    started: Instant,
    steps_total: AtomicUsize,
    steps_done: AtomicUsize,
    failed: Mutex<Vec<String>>,
    over: AtomicBool,
    /// Per-attempt timeout.
    timeout: Duration,
    warnings: AtomicUsize,
    undelivered: Mutex<Vec<Undelivered>>,
}

/// The notifier sink. Keep it until the run is over, then [`Notifier::finish`].
pub struct Notifier {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Notifier {
    pub fn new(receivers: Vec<Receiver>, info: RunInfo, mask: Mask) -> Arc<Self> {
        Self::with_timeout(receivers, info, mask, Duration::from_secs(5))
    }

    pub fn with_timeout(
        receivers: Vec<Receiver>,
        info: RunInfo,
        mask: Mask,
        timeout: Duration,
    ) -> Arc<Self> {
        let shared = Arc::new(Shared {
            receivers,
            info,
            mask,
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            run_id: Mutex::new(String::new()),
            started: Instant::now(),
            steps_total: AtomicUsize::new(0),
            steps_done: AtomicUsize::new(0),
            failed: Mutex::new(Vec::new()),
            over: AtomicBool::new(false),
            timeout,
            warnings: AtomicUsize::new(0),
            undelivered: Mutex::new(Vec::new()),
        });
        let mut threads = Vec::new();
        let s = shared.clone();
        threads.push(std::thread::spawn(move || deliver(&s)));
        for (i, r) in shared.receivers.iter().enumerate() {
            if r.events.iter().any(|e| e == "status") {
                let s = shared.clone();
                let every = r.every;
                threads.push(std::thread::spawn(move || ticker(&s, i, every)));
            }
        }
        Arc::new(Notifier {
            shared,
            threads: Mutex::new(threads),
        })
    }

    /// The run is over: stop the status ticker, give the queue (the `finish` message) at
    /// most `grace` to drain, then give up on what is left with a warning.
    pub fn finish(&self, grace: Duration) {
        self.shared.over.store(true, Ordering::SeqCst);
        {
            let mut q = self.shared.queue.lock().unwrap();
            q.closed = true;
        }
        self.shared.wake.notify_all();
        let deadline = Instant::now() + grace;
        let threads = std::mem::take(&mut *self.threads.lock().unwrap());
        for t in threads {
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
        let q = self.shared.queue.lock().unwrap();
        let left = q.jobs.len();
        if left > 0 {
            eprintln!("warning: notify: {left} notification(s) not delivered before exit");
            let mut u = self.shared.undelivered.lock().unwrap();
            for j in &q.jobs {
                u.push(Undelivered {
                    t: drctl_core::time::t(),
                    receiver: redact_url(&self.shared.receivers[j.receiver].url),
                    event: j.event.clone(),
                    error: "not delivered before drctl exited".into(),
                });
            }
        }
    }

    /// Notifications given up on so far (receiver down, refused, hanging, or left in the
    /// queue at exit), for the report.
    pub fn undelivered(&self) -> Vec<Undelivered> {
        self.shared.undelivered.lock().unwrap().clone()
    }

    /// The run's id, known before its first event (a `drctl rollback` run starts with its
    /// rollback, not with `run-started`).
    pub fn set_run_id(&self, run_id: &str) {
        *self.shared.run_id.lock().unwrap() = run_id.to_string();
    }

    /// Warnings printed so far (receivers down, drops).
    pub fn warnings(&self) -> usize {
        self.shared.warnings.load(Ordering::SeqCst)
    }

    fn push(&self, event: &str, fields: Value) {
        push(&self.shared, event, fields);
    }
}

fn push(s: &Shared, event: &str, fields: Value) {
    for (i, r) in s.receivers.iter().enumerate() {
        if !r.events.iter().any(|e| e == event) {
            continue;
        }
        let body = (s.mask)(&payload(s, r, event, &fields));
        let mut q = s.queue.lock().unwrap();
        if q.closed {
            return;
        }
        if q.jobs.len() >= QUEUE {
            q.jobs.pop_front();
            q.dropped += 1;
        }
        q.jobs.push_back(Job {
            receiver: i,
            event: event.to_string(),
            body,
        });
    }
    s.wake.notify_all();
}

fn payload(s: &Shared, r: &Receiver, event: &str, f: &Value) -> String {
    let run_id = s.run_id.lock().unwrap().clone();
    let failed = s.failed.lock().unwrap().clone();
    let elapsed = s.started.elapsed().as_millis() as u64;
    let done = s.steps_done.load(Ordering::SeqCst);
    let total = s.steps_total.load(Ordering::SeqCst);
    let left: Vec<String> = failed
        .iter()
        .map(|f| format!("step `{f}` failed: check it by hand"))
        .collect();
    let get = |k: &str| f.get(k).cloned().unwrap_or(Value::Null);
    if r.format == "slack" {
        let i = &s.info;
        let mut text = format!("drctl {} `{}` ({}) run {run_id}: ", i.kind, i.name, event);
        text.push_str(&match event {
            "start" => "started".to_string(),
            "gate" => format!("waiting at gate `{}`", get("step").as_str().unwrap_or("")),
            "step-failed" => format!(
                "step `{}` FAILED on {}",
                get("step").as_str().unwrap_or(""),
                get("hosts")
            ),
            "rollback" => format!(
                "rollback started: {}",
                get("message").as_str().unwrap_or("")
            ),
            "finish" => format!(
                "finished: {} (exit {})",
                get("outcome").as_str().unwrap_or(""),
                get("exit")
            ),
            _ => String::new(),
        });
        let rto = s
            .info
            .rto
            .map(|r| format!(" of RTO {}s", r.as_secs()))
            .unwrap_or_default();
        text.push_str(&format!(
            " — {done}/{total} steps, {}s elapsed{rto}",
            elapsed / 1000
        ));
        if !left.is_empty() {
            text.push_str(&format!("; left for a human: {}", left.join("; ")));
        }
        return json!({ "text": text }).to_string();
    }
    json!({
        "drctl_notify": PAYLOAD_VERSION,
        "run_id": run_id,
        "runbook": s.info.runbook,
        "name": s.info.name,
        "kind": s.info.kind,
        "severity": s.info.severity,
        "event": event,
        "step": get("step"),
        "hosts": get("hosts"),
        "outcome": get("outcome"),
        "exit": get("exit"),
        "message": get("message"),
        "elapsed_ms": elapsed,
        "rto_ms": s.info.rto.map(|d| d.as_millis() as u64),
        "steps_done": done,
        "steps_total": total,
        "left_for_human": left,
    })
    .to_string()
}

fn warn(s: &Shared, text: String) {
    s.warnings.fetch_add(1, Ordering::SeqCst);
    eprintln!("warning: notify: {}", (s.mask)(&text));
}

fn deliver(s: &Shared) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(s.timeout))
        .http_status_as_error(true)
        .build()
        .into();
    loop {
        let (job, dropped) = {
            let mut q = s.queue.lock().unwrap();
            while q.jobs.is_empty() && !q.closed {
                q = s.wake.wait(q).unwrap();
            }
            match q.jobs.pop_front() {
                Some(j) => (j, std::mem::take(&mut q.dropped)),
                None => return,
            }
        };
        if dropped > 0 {
            warn(
                s,
                format!("{dropped} notification(s) dropped: the queue was full"),
            );
        }
        let r = &s.receivers[job.receiver];
        let mut delay = Duration::from_millis(200);
        for attempt in 1..=3 {
            let mut req = agent
                .post(&r.url)
                .header("content-type", "application/json");
            for (k, v) in &r.headers {
                req = req.header(k, v);
            }
            match req.send(&job.body) {
                Ok(_) => break,
                Err(e) if attempt == 3 || s.queue.lock().unwrap().closed => {
                    warn(s, format!("{} did not take a notification: {e}", r.url));
                    s.undelivered.lock().unwrap().push(Undelivered {
                        t: drctl_core::time::t(),
                        receiver: redact_url(&r.url),
                        event: job.event.clone(),
                        error: (s.mask)(&e.to_string()),
                    });
                    break;
                }
                Err(_) => {
                    std::thread::sleep(delay);
                    delay *= 2;
                }
            }
        }
    }
}

fn ticker(s: &Shared, _receiver: usize, every: Duration) {
    let mut next = Instant::now() + every;
    while !s.over.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20).min(every));
        if Instant::now() >= next && !s.over.load(Ordering::SeqCst) {
            push(s, "status", json!({}));
            next += every;
        }
    }
}

impl EventSink for Notifier {
    fn event(&self, e: &Event) {
        let s = &self.shared;
        match e {
            Event::RunStarted { run_id, steps, .. } => {
                *s.run_id.lock().unwrap() = run_id.clone();
                s.steps_total.store(*steps, Ordering::SeqCst);
                self.push("start", json!({}));
            }
            Event::Gate { id, message, .. } => {
                self.push("gate", json!({ "step": id, "message": message }));
            }
            Event::StepFinished {
                id,
                ok,
                failed,
                run_phase: drctl_core::Phase::Forward,
                ..
            } => {
                s.steps_done.fetch_add(1, Ordering::SeqCst);
                if !ok {
                    s.failed.lock().unwrap().push(id.clone());
                    self.push("step-failed", json!({ "step": id, "hosts": failed }));
                }
            }
            Event::StepSkipped { .. } => {
                s.steps_done.fetch_add(1, Ordering::SeqCst);
            }
            Event::RollbackStarted { reason } => {
                self.push("rollback", json!({ "message": reason }));
            }
            Event::RunFinished {
                outcome,
                exit,
                message,
                ..
            } => {
                self.push(
                    "finish",
                    json!({ "outcome": outcome.to_string(), "exit": exit, "message": message }),
                );
                s.over.store(true, Ordering::SeqCst);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
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
                let _ = c.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
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
}
