//! Issue 6, scenario 3: a full PostgreSQL base backup kept in two copies on two hosts with
//! checksums; the nearest copy is corrupted; `drctl restore` detects it, uses the other
//! copy, restores onto a fresh host, and the restored data equals what was backed up.

use std::path::Path;
use std::process::Command;

#[test]
fn restore_skips_the_corrupted_copy_and_restores_the_good_one_onto_a_fresh_host() {
    assert!(
        Path::new("/usr/lib/postgresql/15/bin/postgres").exists(),
        "PostgreSQL 15 is not installed: scripts/test installs it"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let td = tempfile::tempdir().unwrap();
    let dir = td.path().join("lab");
    let out = Command::new(root.join("examples/backup-restore/run.sh"))
        .arg(&dir)
        .env("DRCTL", env!("CARGO_BIN_EXE_drctl"))
        .env("NET", "127.78.6")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("copy used:          B"), "{text}");
    assert!(text.contains("content at backup:  1000 500500"), "{text}");
    assert!(text.contains("content restored:   1000 500500"), "{text}");
    // Copy A was judged bad by its checksums, and its fetch was skipped.
    let runs = std::fs::read_dir(dir.join("state/runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let journal = std::fs::read_to_string(runs.join("journal.jsonl")).unwrap();
    assert!(
        journal.contains(r#""captured":["copy_a_state","bad"]"#),
        "{journal}"
    );
    assert!(
        journal.contains(r#""captured":["copy_b_state","good"]"#),
        "{journal}"
    );
    assert!(
        text.contains("fetch-copy-a") && text.contains("h1=skip"),
        "{text}"
    );
}
