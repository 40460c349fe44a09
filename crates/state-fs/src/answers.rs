//! Answers to a run's gates given from other terminals: `answers.jsonl` in the run's
//! folder, one JSON line per answer, appended with `O_APPEND` (one `write` per line, so
//! lines of concurrent writers never interleave) and fsynced before `drctl approve` says
//! it is recorded. A line cut short by a crash is ignored.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use drctl_core::gate::GateAnswer;
use drctl_core::store::StateError;

use crate::{io_err, open_state_file, read_nofollow, state_open_err};

/// The answers file in a run's folder.
pub const ANSWERS_FILE: &str = "answers.jsonl";

/// Append one answer durably.
pub fn post(run_dir: &Path, answer: &GateAnswer) -> Result<(), StateError> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = run_dir.join(ANSWERS_FILE);
    let mut f = open_state_file(
        &path,
        OpenOptions::new().append(true).create(true).mode(0o600),
    )?;
    let mut line = serde_json::to_string(answer).map_err(|e| StateError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    line.push('\n');
    f.write_all(line.as_bytes()).map_err(io_err(&path))?;
    f.sync_all().map_err(io_err(&path))?;
    Ok(())
}

/// Every answer in the file, oldest first (none when there is no file).
pub fn load(run_dir: &Path) -> Result<Vec<GateAnswer>, StateError> {
    let path = run_dir.join(ANSWERS_FILE);
    let bytes = match read_nofollow(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(state_open_err(&path, e)),
    };
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use drctl_core::gate::{Identity, Verdict};

    #[test]
    fn answers_round_trip_and_a_torn_line_is_ignored() {
        let td = tempfile::tempdir().unwrap();
        assert!(load(td.path()).unwrap().is_empty());
        let a = GateAnswer {
            t: "2026-01-01T00:00:00Z".into(),
            step: "promote".into(),
            wait: "w".into(),
            verdict: Verdict::Approve,
            by: Identity {
                user: "alice".into(),
                sudo_user: None,
                uid: 1000,
                host: "ctl".into(),
                tty: None,
                pid: 7,
            },
            reason: None,
        };
        post(td.path(), &a).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(td.path().join(ANSWERS_FILE))
            .unwrap()
            .write_all(b"{\"t\":\"2026")
            .unwrap();
        assert_eq!(load(td.path()).unwrap(), vec![a]);
    }
}
