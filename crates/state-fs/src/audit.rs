//! The tamper-evident audit journal: one JSON line per action across all runs, each
//! carrying the sha256 of the line before; a `audit.head` file holds the last hash and
//! count so truncation or an edit of the last line is caught too.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use serde::{Deserialize, Serialize};

use drctl_core::store::{AuditEntry as Entry, AuditLog, AuditVerdict as Verdict, StateError};
use drctl_core::time::{now_rfc3339, sha256_hex};

use crate::{io_err, write_atomic};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    count: u64,
    last: String,
}

/// Appends to the audit journal under an exclusive `flock`, so concurrent runs interleave
/// safely. Entries from concurrent hosts are group-committed: one lock, one write, one
/// fsync and one head update per batch.
pub struct Audit {
    path: PathBuf,
    pending: Mutex<Pending>,
    cv: Condvar,
}

#[derive(Default)]
struct Pending {
    entries: Vec<Entry>,
    next_seq: u64,
    synced_seq: u64,
    flushing: bool,
    error: Option<String>,
}

impl Audit {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            pending: Mutex::default(),
            cv: Condvar::new(),
        }
    }

    fn head_path(path: &Path) -> PathBuf {
        path.with_extension("head")
    }

    /// Append an entry (its `seq`, `t` and `prev` are filled in here); returns once it is
    /// on disk, batched with whatever other hosts appended meanwhile.
    pub fn append(&self, mut e: Entry) -> Result<(), StateError> {
        e.t = now_rfc3339();
        let mut p = self.pending.lock().expect("audit lock");
        p.entries.push(e);
        p.next_seq += 1;
        let mine = p.next_seq;
        loop {
            if let Some(err) = &p.error {
                return Err(StateError::Io {
                    path: self.path.clone(),
                    source: std::io::Error::other(err.clone()),
                });
            }
            if p.synced_seq >= mine {
                return Ok(());
            }
            if p.flushing {
                p = self.cv.wait(p).expect("audit lock");
                continue;
            }
            p.flushing = true;
            let batch = std::mem::take(&mut p.entries);
            let upto = p.next_seq;
            drop(p);
            let res = self.write_batch(batch);
            p = self.pending.lock().expect("audit lock");
            p.flushing = false;
            match res {
                Ok(()) => p.synced_seq = upto,
                Err(e) => p.error = Some(e.to_string()),
            }
            self.cv.notify_all();
        }
    }

    fn write_batch(&self, batch: Vec<Entry>) -> Result<(), StateError> {
        let p = &self.path;
        let mut f = crate::open_state_file(
            p,
            OpenOptions::new()
                .create(true)
                .append(true)
                .read(true)
                .mode(0o600),
        )?;
        f.lock().map_err(io_err(p))?;
        let text = crate::read_nofollow(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        // A head that is missing while entries exist, or unreadable, is evidence that the
        // tail may have been cut: keep chaining from the file, but never write a fresh head
        // that would make the cut chain verify as intact.
        let (mut count, mut prev, keep_head) = match read_head(p) {
            HeadState::Good(h) => (h.count, h.last, true),
            state => (
                lines.len() as u64,
                lines
                    .last()
                    .map_or(GENESIS.to_string(), |l| sha256_hex(l.as_bytes())),
                matches!(state, HeadState::Absent) && lines.is_empty(),
            ),
        };
        let mut text = String::new();
        for mut e in batch {
            count += 1;
            e.seq = count;
            e.prev = prev;
            let line = serde_json::to_string(&e).expect("entry serializes");
            prev = sha256_hex(line.as_bytes());
            text.push_str(&line);
            text.push('\n');
        }
        f.write_all(text.as_bytes()).map_err(io_err(p))?;
        f.sync_data().map_err(io_err(p))?;
        if keep_head {
            let head = Head { count, last: prev };
            write_atomic(
                &Self::head_path(p),
                serde_json::to_string(&head).unwrap_or_default().as_bytes(),
            )?;
        }
        let _ = f.unlock();
        Ok(())
    }
}

impl AuditLog for Audit {
    fn append(&self, entry: Entry) -> Result<(), StateError> {
        Audit::append(self, entry)
    }
}

enum HeadState {
    /// No head file.
    Absent,
    /// A head file that cannot be read or parsed.
    Bad,
    Good(Head),
}

fn read_head(audit: &Path) -> HeadState {
    let path = Audit::head_path(audit);
    match crate::read_nofollow(&path) {
        Ok(b) => serde_json::from_slice(&b).map_or(HeadState::Bad, HeadState::Good),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HeadState::Absent,
        Err(_) => HeadState::Bad,
    }
}

/// Check the chain from the first line to the head. The head is required once there is an
/// entry: without it a cut tail would be indistinguishable from a shorter journal.
pub fn verify(path: &Path) -> Result<Verdict, StateError> {
    let text = match crate::read_nofollow(path).map(|b| String::from_utf8_lossy(&b).into_owned()) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(StateError::Io {
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    let mut prev = GENESIS.to_string();
    let mut n = 0u64;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let e: Entry = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(err) => {
                return Ok(Verdict::Broken {
                    line: lineno,
                    reason: format!("not a valid entry: {err}"),
                });
            }
        };
        if e.seq > n + 1 {
            return Ok(Verdict::Broken {
                line: lineno,
                reason: format!(
                    "entry {} follows entry {n}: entries {}..{} were removed",
                    e.seq,
                    n + 1,
                    e.seq - 1
                ),
            });
        }
        if e.seq != n + 1 {
            return Ok(Verdict::Broken {
                line: lineno,
                reason: format!(
                    "entry {} where {} was expected: lines were reordered or duplicated",
                    e.seq,
                    n + 1
                ),
            });
        }
        if e.prev != prev {
            // The line before is not the one this entry was chained to.
            let (line, reason) = if lineno == 1 {
                (
                    1,
                    "the first entry does not start the chain: it was altered".to_string(),
                )
            } else {
                (
                    lineno - 1,
                    format!(
                        "line {} was altered: its hash does not match the one line {lineno} records",
                        lineno - 1
                    ),
                )
            };
            return Ok(Verdict::Broken { line, reason });
        }
        prev = sha256_hex(line.as_bytes());
        n += 1;
    }
    match read_head(path) {
        HeadState::Absent if n == 0 => {}
        HeadState::Absent => {
            return Ok(Verdict::Broken {
                line: n as usize,
                reason: format!(
                    "audit.head is missing while the journal holds {n} entries: its last line(s) may have been removed"
                ),
            });
        }
        HeadState::Bad => {
            return Ok(Verdict::Broken {
                line: n as usize,
                reason: format!(
                    "audit.head is unreadable or garbled (journal: {n} entries): its last line(s) may have been removed"
                ),
            });
        }
        HeadState::Good(_) => {}
    }
    if let HeadState::Good(h) = read_head(path)
        && (h.count != n || h.last != prev)
    {
        return Ok(Verdict::Broken {
            line: n as usize,
            reason: if h.count == n {
                format!("line {n}, the last entry, was altered: its hash does not match the head's")
            } else {
                format!(
                    "the journal ends at entry {n} but its head records {} entries: the last line(s) were removed",
                    h.count
                )
            },
        });
    }
    Ok(Verdict::Intact { entries: n })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(a: &str) -> Entry {
        Entry {
            action: a.into(),
            ..Default::default()
        }
    }

    #[test]
    fn concurrent_appends_are_batched_into_one_intact_chain() {
        let td = tempfile::tempdir().unwrap();
        let p = td.path().join("audit.jsonl");
        let a = std::sync::Arc::new(Audit::new(p.clone()));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let a = a.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        a.append(entry(&format!("{t}-{i}"))).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // A second writer (another run) continues the same chain.
        Audit::new(p.clone()).append(entry("other run")).unwrap();
        assert!(matches!(
            verify(&p).unwrap(),
            Verdict::Intact { entries: 401 }
        ));
    }

    #[test]
    fn detects_edit_delete_swap_and_truncation() {
        let td = tempfile::tempdir().unwrap();
        let p = td.path().join("audit.jsonl");
        let a = Audit::new(p.clone());
        for x in ["a", "b", "c", "d"] {
            a.append(entry(x)).unwrap();
        }
        assert!(matches!(
            verify(&p).unwrap(),
            Verdict::Intact { entries: 4 }
        ));
        let orig = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = orig.lines().collect();
        let check = |text: String, want_line: usize| {
            std::fs::write(&p, text).unwrap();
            match verify(&p).unwrap() {
                Verdict::Broken { line, .. } => assert_eq!(line, want_line),
                v => panic!("not detected: {v:?}"),
            }
        };
        check(orig.replace("\"action\":\"b\"", "\"action\":\"x\""), 2);
        check(orig.replace("\"action\":\"d\"", "\"action\":\"x\""), 4);
        check(format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3]), 2);
        check(
            format!("{}\n{}\n{}\n{}\n", lines[0], lines[2], lines[1], lines[3]),
            2,
        );
        check(format!("{}\n{}\n{}\n", lines[0], lines[1], lines[2]), 3);
    }

    /// Cutting the last lines and deleting (or garbling) `audit.head` must not pass as
    /// intact, and the next append must not bless the cut chain with a fresh head.
    #[test]
    fn a_cut_tail_with_the_head_deleted_or_garbled_is_broken() {
        for garble in [false, true] {
            let td = tempfile::tempdir().unwrap();
            let p = td.path().join("audit.jsonl");
            let a = Audit::new(p.clone());
            for x in ["a", "b", "c"] {
                a.append(entry(x)).unwrap();
            }
            let orig = std::fs::read_to_string(&p).unwrap();
            let lines: Vec<&str> = orig.lines().collect();
            std::fs::write(&p, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
            let head = Audit::head_path(&p);
            if garble {
                std::fs::write(&head, "{garbage").unwrap();
            } else {
                std::fs::remove_file(&head).unwrap();
            }
            let broken = |why: &str| match verify(&p).unwrap() {
                Verdict::Broken { line, reason } => {
                    assert_eq!(line, 2, "{reason}");
                    assert!(reason.contains("audit.head"), "{reason}");
                }
                v => panic!("{why}: not detected: {v:?}"),
            };
            broken("cut");
            Audit::new(p.clone()).append(entry("later")).unwrap();
            match verify(&p).unwrap() {
                Verdict::Broken { reason, .. } => assert!(reason.contains("audit.head")),
                v => panic!("append blessed the cut chain: {v:?}"),
            }
        }
    }
}
