//! Ctrl-C, SIGTERM (systemd stop) and SIGHUP (the operator's SSH session to the controller
//! closed) all mean the same: the first sets the run's cancel flag (start nothing new, let
//! in-flight commands finish and journal them, save, print the final line with the resume
//! command); a second exits at once (in-flight steps stay "unknown" in the journal).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use drctl_core::Exit;
use drctl_core::events::{Event, EventSink};
use tokio::signal::unix::{SignalKind, signal};

/// Watch for the signals on a thread of its own, for the life of the process.
pub fn install(cancel: Arc<AtomicBool>, sinks: Arc<dyn EventSink>) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    // Register before returning, so a signal that comes at once is not lost.
    let streams = rt.block_on(async {
        Some((
            signal(SignalKind::interrupt()).ok()?,
            signal(SignalKind::terminate()).ok()?,
            signal(SignalKind::hangup()).ok()?,
        ))
    });
    let Some((mut int, mut term, mut hup)) = streams else {
        return;
    };
    std::thread::spawn(move || {
        rt.block_on(async move {
            loop {
                let name = tokio::select! {
                    _ = int.recv() => "Ctrl-C",
                    _ = term.recv() => "SIGTERM",
                    _ = hup.recv() => "SIGHUP",
                };
                if cancel.swap(true, Ordering::SeqCst) {
                    let _ = std::io::Write::write_all(
                        &mut std::io::stderr(),
                        format!("\nsecond {name}: stopping now; in-flight steps are recorded as unknown\n")
                            .as_bytes(),
                    );
                    std::process::exit(Exit::Interrupted.code());
                }
                sinks.event(&Event::Message {
                    text: format!(
                        "{name}: letting in-flight commands finish, then saving ({name} again to stop at once)"
                    ),
                });
            }
        });
    });
}
