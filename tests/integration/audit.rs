//! The audit journal across runs: who ran what where, secrets masked, and `drctl audit
//! verify` naming the first line that was edited, removed or moved.

use crate::builder::{Drctl, Outcome, Sandbox};

const RB: &str = r#"drctl: 1
kind: restore
name: audit-demo
vars:
  token: { env: AUDIT_TOKEN, secret: true }
steps:
  - id: use-secret
    on: local
    run: echo "calling the API with {{ token }}" > /dev/null
  - id: second
    on: local
    run: "true"
"#;

fn verify(sb: &Sandbox) -> Outcome {
    sb.drctl().args(["audit", "verify"]).run()
}

#[test]
fn audit_journal_records_runs_masks_secrets_and_verify_names_the_broken_line() {
    let sb = Drctl::new().runbook("rb.yaml", RB).sandbox().clone();
    for _ in 0..2 {
        sb.drctl()
            .env("AUDIT_TOKEN", "s3cr3t-value")
            .args(["restore", "{runbook}"])
            .run()
            .status(0);
    }
    let path = sb.state().join("audit.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let entries: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // run-start, 2 commands, run-end; twice.
    assert_eq!(entries.len(), 8, "{text}");
    let cmd = entries.iter().find(|e| e["step"] == "use-secret").unwrap();
    assert_eq!(cmd["host"], "local");
    assert_eq!(cmd["exit"], 0);
    assert!(cmd["who"].as_str().is_some_and(|w| !w.is_empty()));
    assert!(cmd["digest"].as_str().is_some_and(|d| d.len() == 64));
    assert!(cmd["command"].as_str().unwrap().contains("****"), "{cmd}");
    assert!(
        !text.contains("s3cr3t-value"),
        "the secret leaked into the audit journal"
    );
    let runs: std::collections::BTreeSet<_> = entries
        .iter()
        .map(|e| e["run_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(runs.len(), 2);

    verify(&sb)
        .status(0)
        .stdout_is(&format!("{}: intact, 8 entries\n", path.display()));

    let lines: Vec<&str> = text.lines().collect();
    let broken = |new: Vec<String>, want: &str| {
        std::fs::write(&path, new.join("\n") + "\n").unwrap();
        verify(&sb).status(1).stdout_has(want);
    };
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // Edit: line 3's exit code changed.
    let mut edited = own(&lines);
    edited[2] = edited[2].replace("\"exit\":0", "\"exit\":1");
    assert_ne!(edited[2], lines[2]);
    broken(edited, "audit.jsonl:3: BROKEN: line 3 was altered");
    // Delete line 4.
    let mut deleted = own(&lines);
    deleted.remove(3);
    broken(
        deleted,
        "audit.jsonl:4: BROKEN: entry 5 follows entry 3: entries 4..4 were removed",
    );
    // Swap lines 5 and 6.
    let mut swapped = own(&lines);
    swapped.swap(4, 5);
    broken(swapped, "audit.jsonl:5: BROKEN: entry 6 follows entry 4");
    // Remove the last line.
    broken(
        own(&lines[..7]),
        "audit.jsonl:7: BROKEN: the journal ends at entry 7 but its head records 8",
    );
    // Restored, it verifies again.
    std::fs::write(&path, &text).unwrap();
    verify(&sb).status(0);
}
