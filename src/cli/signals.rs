//! Ctrl-C: the first sets the run's cancel flag (start nothing new, let in-flight commands
//! finish, save); the second exits at once (in-flight steps stay "unknown" in the journal).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use drctl_core::Exit;
use drctl_core::events::{Event, EventSink};

/// Watch for Ctrl-C on a thread of its own, for the life of the process.
pub fn install(cancel: Arc<AtomicBool>, sinks: Arc<dyn EventSink>) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            loop {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                if cancel.swap(true, Ordering::SeqCst) {
                    eprintln!(
                        "\nsecond Ctrl-C: stopping now; in-flight steps are recorded as unknown"
                    );
                    std::process::exit(Exit::Interrupted.code());
                }
                sinks.event(&Event::Message {
                    text: "Ctrl-C: letting in-flight commands finish, then saving (Ctrl-C again to stop at once)".into(),
                });
            }
        });
    });
}
