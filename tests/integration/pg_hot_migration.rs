//! Issue 6, scenario 2: hot migration of a live PostgreSQL service from h1 to h3 while a
//! client writes through the endpoint: pre-copy, freeze, final sync, switch, verify. No
//! acknowledged write is lost, the window the client saw is reported; a target that fails
//! its verification (before any client is sent to it) rolls back to the source, which
//! takes writes again, with nothing lost.


use crate::pg::{field, run_example};

fn run(net: &str, extra: &str) -> (bool, String, tempfile::TempDir) {
    run_example("hot-migration", net, extra)
}

#[test]
fn hot_migration_moves_the_service_without_losing_an_acknowledged_write() {
    let (ok, text, _td) = run("127.78.8", "");
    assert!(ok, "{text}");
    assert_eq!(field(&text, "drctl exit code:"), "0");
    assert_eq!(field(&text, "service now on:"), "127.78.8.3", "{text}");
    assert_eq!(field(&text, "acknowledged rows missing:"), "0", "{text}");
    let window: u64 = field(&text, "write-unavailability window:")
        .parse()
        .unwrap();
    assert!(window > 0, "the client saw the freeze: {text}");
    eprintln!("write-unavailability window seen by the client: {window} ms");
}

#[test]
fn failed_verification_rolls_back_to_the_source_which_takes_writes_again() {
    let (ok, text, td) = run("127.78.9", "-e probe_table=no_such_schema.t");
    assert!(!ok, "{text}");
    assert_eq!(field(&text, "drctl exit code:"), "1", "{text}");
    assert_eq!(field(&text, "service now on:"), "127.78.9.1", "{text}");
    assert_eq!(field(&text, "acknowledged rows missing:"), "0", "{text}");
    assert!(text.contains("target-writable on h3: FAILED"), "{text}");
    assert!(
        !text.contains("repoint-clients on h3"),
        "clients were never sent to the target: {text}"
    );
    for undone in [
        "rollback freeze on h1: ok",
        "rollback start-target on h3: ok",
        "rollback precopy on h3: ok",
    ] {
        assert!(text.contains(undone), "{undone}: {text}");
    }
    assert!(
        !td.path().join("lab/hosts/h3/pgdata").exists(),
        "the target's copy is removed"
    );
}
