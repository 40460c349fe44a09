//! The run journal: versioned, append-only JSON lines, each record fsynced before the caller
//! moves on (group commit: concurrent hosts share one fsync). A line cut short by a crash is
//! dropped on load; any other damage is a clear error naming the line.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use drctl_core::record::{Header, JOURNAL_VERSION, Loaded, Record};
use drctl_core::store::{RunLog, StateError};

use crate::io_err;

/// The journal's file name in a run's folder.
pub const JOURNAL_FILE: &str = "journal.jsonl";

struct Pending {
    buf: Vec<u8>,
    next_seq: u64,
    synced_seq: u64,
    flushing: bool,
    error: Option<String>,
}

/// An open journal, shared by the engine's tasks.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    pending: Mutex<Pending>,
    cv: Condvar,
}

impl Journal {
    /// Create a new journal with its header (fails if it exists).
    pub fn create(dir: &Path, header: Header) -> Result<Self, StateError> {
        let path = dir.join(JOURNAL_FILE);
        let file = crate::open_state_file(
            &path,
            OpenOptions::new().append(true).create_new(true).mode(0o600),
        )?;
        let j = Self::from_file(path, file);
        j.append(&Record::Header(header))?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(j)
    }

    /// Open an existing journal to append to (resume, rollback).
    /// A last line torn by a crash or power loss is cut off first (it is what `load` drops),
    /// so the next record starts on a line of its own instead of extending the garbage.
    pub fn open_append(dir: &Path) -> Result<Self, StateError> {
        let path = dir.join(JOURNAL_FILE);
        let mut file = crate::open_state_file(&path, OpenOptions::new().read(true).append(true))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_err(&path))?;
        if let Some(keep) = torn_tail_start(&bytes) {
            file.set_len(keep as u64).map_err(io_err(&path))?;
            file.sync_data().map_err(io_err(&path))?;
        } else if bytes.last().is_some_and(|&b| b != b'\n') {
            // A whole record that lost only its newline: end its line.
            file.write_all(b"\n").map_err(io_err(&path))?;
            file.sync_data().map_err(io_err(&path))?;
        }
        Ok(Self::from_file(path, file))
    }

    fn from_file(path: PathBuf, file: File) -> Self {
        Self {
            path,
            file: Mutex::new(file),
            pending: Mutex::new(Pending {
                buf: Vec::new(),
                next_seq: 0,
                synced_seq: 0,
                flushing: false,
                error: None,
            }),
            cv: Condvar::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append records and return once they are on disk. Concurrent callers are batched
    /// into one write and one fsync by whichever of them gets there first.
    pub fn append_all(&self, recs: &[Record]) -> Result<(), StateError> {
        let mut p = self.pending.lock().expect("journal lock");
        for r in recs {
            let mut line = serde_json::to_vec(r).expect("records serialize");
            line.push(b'\n');
            p.buf.extend_from_slice(&line);
        }
        p.next_seq += 1;
        let my_seq = p.next_seq;
        loop {
            if let Some(e) = &p.error {
                return Err(StateError::Io {
                    path: self.path.clone(),
                    source: std::io::Error::other(e.clone()),
                });
            }
            if p.synced_seq >= my_seq {
                return Ok(());
            }
            if !p.flushing {
                p.flushing = true;
                let data = std::mem::take(&mut p.buf);
                let upto = p.next_seq;
                drop(p);
                let res = {
                    let mut f = self.file.lock().expect("journal file");
                    f.write_all(&data).and_then(|_| f.sync_data())
                };
                p = self.pending.lock().expect("journal lock");
                p.flushing = false;
                match res {
                    Ok(()) => p.synced_seq = upto,
                    Err(e) => p.error = Some(e.to_string()),
                }
                self.cv.notify_all();
            } else {
                p = self.cv.wait(p).expect("journal lock");
            }
        }
    }

    pub fn append(&self, rec: &Record) -> Result<(), StateError> {
        self.append_all(std::slice::from_ref(rec))
    }
}

impl RunLog for Journal {
    fn append_all(&self, records: &[Record]) -> Result<(), StateError> {
        Journal::append_all(self, records)
    }
}

/// Where a torn last line starts: a last line without its newline, or one that is not JSON
/// at all (zeros left by power loss). Never the header line: a journal torn there is damaged.
fn torn_tail_start(bytes: &[u8]) -> Option<usize> {
    let body = match bytes.last() {
        None => return None,
        Some(b'\n') => &bytes[..bytes.len() - 1],
        Some(_) => bytes,
    };
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let last = &body[start..];
    let complete = serde_json::from_slice::<Record>(last).is_ok();
    let torn = (body.len() == bytes.len() && !complete)
        || (!last.iter().all(u8::is_ascii_whitespace)
            && serde_json::from_slice::<serde_json::Value>(last).is_err());
    (torn && start > 0).then_some(start)
}

/// Read a journal. A torn last line is dropped; anything else damaged is an error.
pub fn load(dir: &Path) -> Result<Loaded, StateError> {
    let path = dir.join(JOURNAL_FILE);
    let bytes = crate::read_nofollow(&path).map_err(|e| crate::state_open_err(&path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let ends_clean = text.ends_with('\n');
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    let mut records = Vec::new();
    let mut torn_tail = false;
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => records.push(r),
            Err(_)
                if last
                    && (!ends_clean
                        || serde_json::from_str::<serde_json::Value>(line).is_err())
                    && i > 0 =>
            {
                torn_tail = true;
            }
            Err(e) => {
                // A header from a newer drctl may not parse: say so rather than "corrupt".
                if i == 0
                    && let Some(v) = serde_json::from_str::<serde_json::Value>(line)
                        .ok()
                        .and_then(|v| v.get("version").and_then(|x| x.as_u64()))
                    && v as u32 > JOURNAL_VERSION
                {
                    return Err(StateError::FutureVersion {
                        path,
                        found: v as u32,
                        supported: JOURNAL_VERSION,
                    });
                }
                return Err(StateError::Corrupt {
                    path,
                    line: i + 1,
                    msg: e.to_string(),
                });
            }
        }
    }
    let header = match records.first() {
        Some(Record::Header(h)) => h.clone(),
        _ => {
            return Err(StateError::Corrupt {
                path,
                line: 1,
                msg: "the first record is not a header".into(),
            });
        }
    };
    if header.version > JOURNAL_VERSION {
        return Err(StateError::FutureVersion {
            path,
            found: header.version,
            supported: JOURNAL_VERSION,
        });
    }
    Ok(Loaded {
        header,
        records,
        torn_tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use drctl_core::outcome::RunMode;

    fn header() -> Header {
        Header {
            version: JOURNAL_VERSION,
            run_id: "r1".into(),
            runbook: "rb.yaml".into(),
            runbook_sha256: String::new(),
            name: "rb".into(),
            kind: "failover".into(),
            mode: RunMode::Run,
            severity: None,
            started_at: "2024-01-01T00:00:00Z".into(),
            user: "u".into(),
            sudo_user: None,
            drctl_version: None,
            controller: "c".into(),
            pid: 1,
            inventory: None,
            vars: Default::default(),
            limit: None,
            rto_ms: None,
        }
    }

    fn skipped(step: &str) -> Record {
        Record::Skipped {
            t: "2024-01-01T00:00:01Z".into(),
            step: step.into(),
            reason: "test".into(),
        }
    }

    /// Power loss mid-append leaves a torn last line (or zeros); the next append must not
    /// land after it and turn it into a corrupt line in the middle of the journal.
    #[test]
    fn append_after_a_torn_tail_keeps_the_journal_readable() {
        let whole = serde_json::to_vec(&skipped("a2")).unwrap();
        for tail in [
            &b"{\"ev\":\"skipped\",\"t\":\"2024"[..],
            &[0u8; 64][..],
            &whole[..],
        ] {
            let td = tempfile::tempdir().unwrap();
            let j = Journal::create(td.path(), header()).unwrap();
            j.append(&skipped("a")).unwrap();
            drop(j);
            let path = td.path().join(JOURNAL_FILE);
            let mut f = OpenOptions::new().append(true).open(&path).unwrap();
            f.write_all(tail).unwrap();
            drop(f);
            let kept_whole = tail == &whole[..];
            assert_eq!(load(td.path()).unwrap().torn_tail, !kept_whole);

            let j = Journal::open_append(td.path()).unwrap();
            j.append(&skipped("b")).unwrap();
            drop(j);
            let l = load(td.path()).unwrap();
            assert!(!l.torn_tail);
            let steps: Vec<&str> = l
                .records
                .iter()
                .filter_map(|r| match r {
                    Record::Skipped { step, .. } => Some(step.as_str()),
                    _ => None,
                })
                .collect();
            let want: &[&str] = if kept_whole {
                &["a", "a2", "b"]
            } else {
                &["a", "b"]
            };
            assert_eq!(steps, want);
        }
    }
}
