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

mod delivery;
mod payload;
mod undelivered;
use delivery::{deliver, push, ticker};
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
mod tests;
