//! Run state in a local directory, the embedded default [`RunStore`]: each run's journal
//! (the checkpoint) and saved runbook under `runs/RUN_ID/`, the per-runbook lock under
//! `locks/`, the audit chain in `audit.jsonl`. Everything is private (0700 dirs, 0600 files).

pub mod answers;
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

    /// Create a directory (and parents) private to the user. The root and every folder
    /// from it down to `dir` must be the user's own and writable by nobody else; below the
    /// root none may be a symlink.
    pub fn ensure(&self, dir: &Path) -> Result<(), StateError> {
        if fs::symlink_metadata(&self.root).is_ok() {
            check_dir(&self.root, true)?;
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_err(dir))?;
        self.check_private(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err(dir))
    }

    /// Refuse a state folder another user could plant files in.
    pub fn check_private(&self, dir: &Path) -> Result<(), StateError> {
        check_dir(&self.root, true)?;
        if let Ok(rel) = dir.strip_prefix(&self.root) {
            let mut p = self.root.clone();
            for c in rel.components() {
                p.push(c);
                check_dir(&p, false)?;
            }
        }
        Ok(())
    }
}

/// One state folder: a real directory (the root may be the user's own symlink to one),
/// owned by the user, not writable by group or others.
fn check_dir(path: &Path, is_root: bool) -> Result<(), StateError> {
    use std::os::unix::fs::MetadataExt;
    let unsafe_ = |what: String| StateError::Unsafe(format!("{}: {what}", path.display()));
    // SAFETY: geteuid takes no arguments, touches no memory and cannot fail.
    let me = unsafe { libc::geteuid() };
    let link = fs::symlink_metadata(path).map_err(io_err(path))?;
    if link.file_type().is_symlink() && (!is_root || link.uid() != me) {
        return Err(unsafe_(
            "is a symlink; drctl never follows a symlink inside its state directory (remove it: it may have been planted)".into(),
        ));
    }
    let m = fs::metadata(path).map_err(io_err(path))?;
    if !m.is_dir() {
        return Err(unsafe_("is not a directory".into()));
    }
    if m.uid() != me {
        return Err(unsafe_(format!(
            "is owned by uid {}, not by you (uid {me}); use a state directory of your own (--state-dir)",
            m.uid()
        )));
    }
    if m.mode() & 0o022 != 0 {
        return Err(unsafe_(format!(
            "is writable by {} (mode {:o}): another user could plant files drctl trusts; `chmod go-w` it or use another --state-dir",
            if m.mode() & 0o002 != 0 {
                "every user"
            } else {
                "its group"
            },
            m.mode() & 0o7777
        )));
    }
    Ok(())
}

/// Open a state file without following a symlink; a symlink there is [`StateError::Unsafe`].
pub fn open_state_file(path: &Path, opts: &mut fs::OpenOptions) -> Result<fs::File, StateError> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = opts
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| state_open_err(path, e))?;
    let m = f.metadata().map_err(io_err(path))?;
    if !m.is_file() {
        return Err(StateError::Unsafe(format!(
            "{}: is not a regular file; drctl refuses to use it (remove it: it may have been planted)",
            path.display()
        )));
    }
    Ok(f)
}

/// ELOOP from an `O_NOFOLLOW` open means a symlink: say so.
pub fn state_open_err(path: &Path, e: std::io::Error) -> StateError {
    if e.raw_os_error() == Some(libc::ELOOP) {
        StateError::Unsafe(format!(
            "{}: is a symlink; drctl never follows a symlink for its state files (remove it: it may have been planted)",
            path.display()
        ))
    } else {
        StateError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

/// Read a whole file without following a symlink in its last component (nor blocking on
/// a FIFO planted there).
pub fn read_nofollow(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
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
    fn holder(&self, name: &str) -> Option<drctl_core::store::LockHolder> {
        lock::holder(self, name)
    }

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
        let bytes = read_nofollow(&path).map_err(|e| state_open_err(&path, e))?;
        String::from_utf8(bytes).map_err(|e| StateError::Io {
            path: path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })
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

    fn audit_location(&self) -> String {
        self.audit().display().to_string()
    }

    fn post_answer(
        &self,
        run_id: &str,
        answer: &drctl_core::gate::GateAnswer,
    ) -> Result<(), StateError> {
        answers::post(&self.existing(run_id)?, answer)
    }

    fn answers(&self, run_id: &str) -> Result<Vec<drctl_core::gate::GateAnswer>, StateError> {
        answers::load(&self.existing(run_id)?)
    }
}

impl StateDir {
    /// A run's folder, which must exist.
    fn existing(&self, run_id: &str) -> Result<PathBuf, StateError> {
        let dir = self.run(run_id);
        if run_id.is_empty()
            || run_id.contains('/')
            || run_id.starts_with('.')
            || fs::symlink_metadata(&dir).is_err()
        {
            return Err(StateError::NoSuchRun(run_id.to_string()));
        }
        self.check_private(&dir)?;
        Ok(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn sd(root: &Path) -> StateDir {
        StateDir {
            root: root.to_path_buf(),
        }
    }

    /// A planted `locks/NAME.lock` symlink: the target stays untouched and the error says why.
    #[test]
    fn a_planted_lock_symlink_is_refused_and_its_target_untouched() {
        let td = tempfile::tempdir().unwrap();
        let st = sd(&td.path().join("state"));
        st.ensure(&st.locks()).unwrap();
        let target = td.path().join("precious");
        fs::write(&target, "keep me").unwrap();
        symlink(&target, st.locks().join("rb.lock")).unwrap();
        let e = lock::acquire(&st, "rb", "run-a").unwrap_err();
        assert!(matches!(e, StateError::Unsafe(_)), "{e}");
        assert!(e.to_string().contains("symlink"), "{e}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
        // A FIFO planted there would block a reader forever: refused, not a hang.
        fs::remove_file(st.locks().join("rb.lock")).unwrap();
        let fifo = std::ffi::CString::new(
            st.locks()
                .join("rb.lock")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: `fifo` is a valid NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let e = lock::acquire(&st, "rb", "run-a").unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    #[test]
    fn planted_journal_audit_and_head_symlinks_are_not_followed() {
        let td = tempfile::tempdir().unwrap();
        let st = sd(&td.path().join("state"));
        let target = td.path().join("precious");
        fs::write(&target, "keep me").unwrap();
        // journal of an existing run replaced by a symlink
        let run = st.run("r1");
        st.ensure(&run).unwrap();
        symlink(&target, run.join(journal::JOURNAL_FILE)).unwrap();
        assert!(matches!(st.load_run("r1"), Err(StateError::Unsafe(_))));
        assert!(matches!(st.reopen_run("r1"), Err(StateError::Unsafe(_))));
        // audit journal
        symlink(&target, st.audit()).unwrap();
        let e = RunStore::audit(&st)
            .append(drctl_core::store::AuditEntry::default())
            .unwrap_err();
        assert!(e.to_string().contains("symlink"), "{e}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
    }

    #[test]
    fn a_state_root_or_subfolder_others_can_write_is_refused() {
        let td = tempfile::tempdir().unwrap();
        let root = td.path().join("state");
        fs::create_dir(&root).unwrap();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o777)).unwrap();
        let st = sd(&root);
        let e = st.ensure(&st.locks()).unwrap_err();
        assert!(e.to_string().contains("writable by"), "{e}");
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700)).unwrap();
        fs::create_dir(st.locks()).unwrap();
        fs::set_permissions(st.locks(), fs::Permissions::from_mode(0o770)).unwrap();
        let e = lock::acquire(&st, "rb", "r").unwrap_err();
        assert!(e.to_string().contains("writable by"), "{e}");
        // a symlinked subfolder is refused too
        fs::remove_dir(st.locks()).unwrap();
        let elsewhere = td.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        symlink(&elsewhere, st.locks()).unwrap();
        let e = lock::acquire(&st, "rb", "r").unwrap_err();
        assert!(e.to_string().contains("symlink"), "{e}");
    }
}
