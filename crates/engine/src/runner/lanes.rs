//! One worker thread per SSH host for the whole run (its "lane"): it makes the host's
//! preflight connect, then runs that host's step jobs in order. A run over N hosts holds N
//! threads whatever the pace of connects and steps — with a pool of blocking threads, a
//! step's job started while the previous job's thread was still going idle took a new
//! thread, and a slow preflight held a second thread per host.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::mpsc::{Sender, channel};

/// Work for a host's lane.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// The lanes of a run, by host name.
#[derive(Default)]
pub(crate) struct Lanes {
    senders: Mutex<HashMap<String, Sender<Job>>>,
}

impl Lanes {
    /// Start `host`'s lane with `first` as its first job. `Err(first)` when no thread can
    /// be started (the caller runs the job elsewhere).
    pub(crate) fn start(&self, host: &str, first: Job) -> Result<(), Job> {
        let (tx, rx) = channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name(format!("drctl-host-{host}"))
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job();
                }
            });
        if spawned.is_err() {
            return Err(first);
        }
        let _ = tx.send(first);
        self.senders
            .lock()
            .expect("lanes")
            .insert(host.to_string(), tx);
        Ok(())
    }

    /// Queue `job` on `host`'s lane; `Err(job)` when the host has none (or it ended).
    pub(crate) fn send(&self, host: &str, job: Job) -> Result<(), Job> {
        let tx = self.senders.lock().expect("lanes").get(host).cloned();
        match tx {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }
}

/// Run `f` on `host`'s lane, or on the runtime's blocking pool when it has none, and
/// wait for its result (`Err`: the job never returned, e.g. it panicked).
pub(crate) async fn on_lane<T: Send + 'static>(
    lanes: &Lanes,
    host: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    if let Err(job) = lanes.send(host, job) {
        tokio::task::spawn_blocking(job);
    }
    rx.await
        .map_err(|_| format!("the job for host {host} ended without a result"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_of_a_host_run_in_order_on_one_thread() {
        let lanes = Lanes::default();
        let first_thread = std::sync::Arc::new(Mutex::new(None));
        let t = first_thread.clone();
        lanes
            .start(
                "h1",
                Box::new(move || *t.lock().unwrap() = Some(std::thread::current().id())),
            )
            .map_err(|_| ())
            .unwrap();
        let a = on_lane(&lanes, "h1", || std::thread::current().id())
            .await
            .unwrap();
        let b = on_lane(&lanes, "h1", || std::thread::current().id())
            .await
            .unwrap();
        assert_eq!(Some(a), *first_thread.lock().unwrap());
        assert_eq!(a, b);
        // A host without a lane still gets its job run.
        assert_eq!(on_lane(&lanes, "nobody", || 7).await.unwrap(), 7);
        // A job that panics is an error, not a hang.
        assert!(on_lane(&lanes, "h1", || panic!("boom")).await.is_err());
    }
}
