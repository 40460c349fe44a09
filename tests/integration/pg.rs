//! The PostgreSQL DR examples (examples/*/run.sh) run as tests: each gets its own
//! loopback network (NET) and a temporary lab folder.

use std::path::Path;
use std::process::Command;

/// Run `examples/<name>/run.sh` with drctl from this build; returns (success, stdout and
/// stderr, the temporary folder holding the lab in `lab/`).
pub fn run_example(name: &str, net: &str, extra: &str) -> (bool, String, tempfile::TempDir) {
    assert!(
        Path::new("/usr/lib/postgresql/15/bin/postgres").exists(),
        "PostgreSQL 15 is not installed: the README's test command (scripts/test) installs it"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let td = tempfile::tempdir().unwrap();
    let out = Command::new(root.join("examples").join(name).join("run.sh"))
        .arg(td.path().join("lab"))
        .env("DRCTL", env!("CARGO_BIN_EXE_drctl"))
        .env("NET", net)
        .env("EXTRA", extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text, td)
}

/// The first word after `name` on the line of the script's summary that starts with it.
pub fn field(text: &str, name: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in {text}"));
    line[name.len()..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The journal of the only run in the lab's state folder.
pub fn journal(lab: &Path) -> String {
    let run = std::fs::read_dir(lab.join("state/runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::read_to_string(run.join("journal.jsonl")).unwrap()
}
