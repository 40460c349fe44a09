//! Issue 6, scenario 3: a full PostgreSQL base backup plus an incremental part (the WAL
//! archived since, holding 500 more rows), kept in two copies on two hosts with checksums;
//! the nearest copy is corrupted; `drctl restore` detects it, uses the other copy,
//! restores full + incremental onto a fresh host, and the restored data equals the record.

use crate::pg::{net, run_example};

#[test]
fn restore_skips_the_corrupted_copy_and_restores_the_good_one_onto_a_fresh_host() {
    let out = run_example("backup-restore", &net(6), "");
    out.status(0)
        .output_has("copy used:          B")
        .output_has("content at backup:  1500 1125750")
        .output_has("content restored:   1500 1125750");
    // Copy A was judged bad by its checksums, and its fetch was skipped.
    let journal = out.journal();
    assert!(
        journal.contains(r#""captured":["copy_a_state","bad"]"#),
        "{journal}"
    );
    assert!(
        journal.contains(r#""captured":["copy_b_state","good"]"#),
        "{journal}"
    );
    out.output_has("fetch-copy-a").output_has("h1=skip");
}
