//! The notifier's background work: queueing payloads, delivering them with retries and
//! backoff, warning on failures, and the `status` ticker.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::payload::payload;
use crate::{Job, QUEUE, Shared, Undelivered, redact_url};

pub(crate) fn push(s: &Shared, event: &str, fields: Value) {
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
pub(crate) fn warn(s: &Shared, text: String) {
    s.warnings.fetch_add(1, Ordering::SeqCst);
    eprintln!("warning: notify: {}", (s.mask)(&text));
}

pub(crate) fn deliver(s: &Shared) {
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

pub(crate) fn ticker(s: &Shared, _receiver: usize, every: Duration) {
    let mut next = Instant::now() + every;
    while !s.over.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20).min(every));
        if Instant::now() >= next && !s.over.load(Ordering::SeqCst) {
            push(s, "status", json!({}));
            next += every;
        }
    }
}
