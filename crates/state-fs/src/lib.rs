//! Run state in a local directory, the embedded default [`RunStore`]: each run's journal
//! (the checkpoint) and saved runbook under `runs/RUN_ID/`, the per-runbook lock under
//! `locks/`, the audit chain in `audit.jsonl`. Everything is private (0700 dirs, 0600 files).

pub mod audit;
pub mod journal;
pub mod lock;

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use drctl_core::record::{Header, Loaded};
use drctl_core::store::{AuditLog, AuditVerdict, RunLog, RunStore, StateError};

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

/// Read a whole file without following a symlink in its last component.
pub fn read_nofollow(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    Ok(buf)
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

/// The runbook copy saved in each run's folder.
pub const RUNBOOK_COPY: &str = "runbook.yaml";

impl drctl_core::store::RunLock for lock::RunLock {
    fn took_over(&self) -> Option<&str> {
        self.took_over.as_deref()
    }

    fn epoch(&self) -> u64 {
        self.epoch
    }
}

impl RunStore for StateDir {
    fn lock(
        &self,
        name: &str,
        run_id: &str,
    ) -> Result<Box<dyn drctl_core::store::RunLock>, StateError> {
        Ok(Box::new(lock::acquire(self, name, run_id)?))
    }

    fn create_run(&self, header: Header, runbook: &str) -> Result<Arc<dyn RunLog>, StateError> {
        let dir = self.run(&header.run_id);
        self.ensure(&dir)?;
        write_atomic(&dir.join(RUNBOOK_COPY), runbook.as_bytes())?;
        Ok(Arc::new(journal::Journal::create(&dir, header)?))
    }

    fn reopen_run(&self, run_id: &str) -> Result<Arc<dyn RunLog>, StateError> {
        Ok(Arc::new(journal::Journal::open_append(
            &self.existing(run_id)?,
        )?))
    }

    fn load_run(&self, run_id: &str) -> Result<Loaded, StateError> {
        journal::load(&self.existing(run_id)?)
    }

    fn saved_runbook(&self, run_id: &str) -> Result<String, StateError> {
        let path = self.existing(run_id)?.join(RUNBOOK_COPY);
        fs::read_to_string(&path).map_err(io_err(&path))
    }

    fn list_runs(&self) -> Result<Vec<String>, StateError> {
        let dir = self.runs();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        // A run's folder is modified when its journal is created: oldest first.
        let mut runs: Vec<(std::time::SystemTime, String)> = entries
            .flatten()
            .filter(|e| e.path().join(journal::JOURNAL_FILE).is_file())
            .filter_map(|e| {
                let modified = e.metadata().and_then(|m| m.modified()).ok()?;
                Some((modified, e.file_name().into_string().ok()?))
            })
            .collect();
        runs.sort();
        Ok(runs.into_iter().map(|(_, id)| id).collect())
    }

    fn audit(&self) -> Arc<dyn AuditLog> {
        Arc::new(audit::Audit::new(self.audit()))
    }

    fn verify_audit(&self) -> Result<AuditVerdict, StateError> {
        audit::verify(&self.audit())
    }

    fn location(&self) -> String {
        self.root.display().to_string()
    }
}

impl StateDir {
    /// A run's folder, which must exist.
    fn existing(&self, run_id: &str) -> Result<PathBuf, StateError> {
        let dir = self.run(run_id);
        if run_id.is_empty() || run_id.contains('/') || run_id.starts_with('.') || !dir.is_dir() {
            return Err(StateError::NoSuchRun(run_id.to_string()));
        }
        Ok(dir)
    }
}
