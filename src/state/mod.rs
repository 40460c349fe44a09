//! Run state on disk: the state directory, each run's journal (the checkpoint), its summary
//! snapshot, and the per-runbook lock. Everything is private (0700 dirs, 0600 files).

pub mod audit;
pub mod checkpoint;
pub mod journal;
pub mod lock;

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Errors of the state layer.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: corrupt journal record: {msg}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    #[error(
        "{path}: written by a newer drctl (journal version {found}, this drctl reads {supported})"
    )]
    FutureVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("no run `{0}` in the state directory")]
    NoSuchRun(String),
    #[error("{0}")]
    Locked(String),
}

pub fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The state directory: `runs/RUN_ID/`, `locks/`, `audit.jsonl`.
#[derive(Debug, Clone)]
pub struct StateDir {
    pub root: PathBuf,
}

impl StateDir {
    /// `--state-dir`, else `DRCTL_STATE_DIR`, else `$XDG_STATE_HOME/drctl`, else `~/.local/state/drctl`.
    pub fn resolve(explicit: Option<PathBuf>) -> Self {
        let root = explicit
            .or_else(|| std::env::var_os("DRCTL_STATE_DIR").map(PathBuf::from))
            .or_else(|| std::env::var_os("XDG_STATE_HOME").map(|x| PathBuf::from(x).join("drctl")))
            .unwrap_or_else(|| {
                let home = std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from("."));
                home.join(".local/state/drctl")
            });
        Self { root }
    }

    pub fn runs(&self) -> PathBuf {
        self.root.join("runs")
    }

    pub fn run(&self, id: &str) -> PathBuf {
        self.runs().join(id)
    }

    pub fn locks(&self) -> PathBuf {
        self.root.join("locks")
    }

    pub fn audit(&self) -> PathBuf {
        self.root.join("audit.jsonl")
    }

    /// Create a directory (and parents) private to the user.
    pub fn ensure(&self, dir: &Path) -> Result<(), StateError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_err(dir))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err(dir))
    }
}

/// Write a file atomically (temp file in the same folder, fsync, rename, fsync the folder), 0600.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), StateError> {
    write_atomic_mode(path, data, 0o600)
}

/// [`write_atomic`] with the given permission bits (reports meant to be shared: 0644).
pub fn write_atomic_mode(path: &Path, data: &[u8], mode: u32) -> Result<(), StateError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err(dir))?;
    tmp.write_all(data).map_err(io_err(path))?;
    tmp.as_file().sync_all().map_err(io_err(path))?;
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode)).map_err(io_err(path))?;
    tmp.persist(path).map_err(|e| StateError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Milliseconds since the epoch of an RFC 3339 timestamp from a journal.
pub fn ts_ms(t: &str) -> Option<i64> {
    t.parse::<jiff::Timestamp>()
        .ok()
        .map(|x| x.as_millisecond())
}

/// Now as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Millisecond)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
