//! One run per runbook name at a time: an `flock` on `locks/NAME.lock`, which the kernel
//! releases when the process dies, with the holder's pid, host and start time inside.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;

use drctl_core::store::StateError;
use drctl_core::time::now_rfc3339;

use crate::{StateDir, io_err};

/// Held for the life of a run; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    /// Set when a previous holder had died without cleaning up.
    pub took_over: Option<String>,
    /// One more than the previous holder's: the fencing epoch.
    pub epoch: u64,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Holder {
    pid: u32,
    host: String,
    started: String,
    run_id: String,
    #[serde(default)]
    epoch: u64,
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Take the lock for runbook `name` on behalf of `run_id`.
pub fn acquire(dir: &StateDir, name: &str, run_id: &str) -> Result<RunLock, StateError> {
    let locks = dir.locks();
    dir.ensure(&locks)?;
    let path = locks.join(format!("{name}.lock"));
    let mut f = crate::open_state_file(
        &path,
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600),
    )?;
    let mut previous = String::new();
    let _ = f.read_to_string(&mut previous);
    let held = f.try_lock().is_err();
    let old: Option<Holder> = serde_json::from_str(&previous).ok();
    if held {
        let who = old
            .map(|h| {
                format!(
                    "run {} (pid {} on {}, started {})",
                    h.run_id, h.pid, h.host, h.started
                )
            })
            .unwrap_or_else(|| "another drctl process".into());
        return Err(StateError::Locked(format!(
            "runbook `{name}` is locked by {who}; {}",
            path.display()
        )));
    }
    let took_over = old.filter(|h| !h.run_id.is_empty()).map(|h| {
        format!(
            "taking over the stale lock of run {} (pid {} on {} is gone)",
            h.run_id, h.pid, h.host
        )
    });
    let me = Holder {
        pid: std::process::id(),
        host: hostname(),
        started: now_rfc3339(),
        run_id: run_id.to_string(),
        epoch: last_epoch(&locks).saturating_add(1),
    };
    f.set_len(0).map_err(io_err(&path))?;
    f.rewind().map_err(io_err(&path))?;
    f.write_all(serde_json::to_string(&me).unwrap_or_default().as_bytes())
        .map_err(io_err(&path))?;
    let _ = f.sync_data();
    let epoch = me.epoch;
    crate::write_atomic(&locks.join(EPOCH_FILE), epoch.to_string().as_bytes())?;
    Ok(RunLock {
        _file: f,
        took_over,
        epoch,
    })
}

/// The highest epoch any lock of this store has been taken with (0: never).
const EPOCH_FILE: &str = "epoch";

fn last_epoch(locks: &std::path::Path) -> u64 {
    crate::read_nofollow(&locks.join(EPOCH_FILE))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Clear the holder so the next run does not report a stale lock.
        let _ = self._file.set_len(0);
    }
}

/// Who holds runbook `name`'s lock, read without taking it: a live run (its process is
/// alive on this controller), or the stale record of one that died.
pub fn holder(dir: &StateDir, name: &str) -> Option<drctl_core::store::LockHolder> {
    let path = dir.locks().join(format!("{name}.lock"));
    let mut f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    let mut text = String::new();
    f.read_to_string(&mut text).ok()?;
    let h: Holder = serde_json::from_str(&text).ok()?;
    // A lock file keeps its holder only while it is held (or its holder died): the pid
    // tells which, on this controller.
    let alive = h.host == hostname() && std::path::Path::new(&format!("/proc/{}", h.pid)).exists();
    Some(drctl_core::store::LockHolder {
        run_id: h.run_id,
        pid: h.pid,
        controller: h.host,
        since: h.started,
        alive,
        lease_ttl: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_and_lock_released_on_drop() {
        let td = tempfile::tempdir().unwrap();
        let sd = StateDir {
            root: td.path().to_path_buf(),
        };
        let a = acquire(&sd, "rb", "run-a").unwrap();
        // flock is per open file description: a second open in this process conflicts too.
        let e = acquire(&sd, "rb", "run-b").unwrap_err().to_string();
        assert!(e.contains("run-a") && e.contains("pid"), "{e}");
        drop(a);
        let b = acquire(&sd, "rb", "run-b").unwrap();
        assert!(b.took_over.is_none());
    }
}
