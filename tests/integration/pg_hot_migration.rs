//! Issue 6, scenario 2: hot migration of a live PostgreSQL service from h1 to h3 while a
//! client writes through the endpoint: pre-copy, freeze, final sync, switch, verify. No
//! acknowledged write is lost, the window the client saw is reported; a target that fails
//! its verification (before any client is sent to it) rolls back to the source, which
//! takes writes again, with nothing lost.

use crate::pg::{field, net, run_example};

#[test]
fn hot_migration_moves_the_service_without_losing_an_acknowledged_write() {
    let net = net(8);
    let out = run_example("hot-migration", &net, "");
    out.status(0);
    let text = out.output();
    assert_eq!(field(&out, "drctl exit code:"), "0");
    assert_eq!(field(&out, "service now on:"), format!("{net}.3"), "{text}");
    assert_eq!(field(&out, "acknowledged rows missing:"), "0", "{text}");
    let window: u64 = field(&out, "write-unavailability window:").parse().unwrap();
    assert!(window > 0, "the client saw the freeze: {text}");
    eprintln!("write-unavailability window seen by the client: {window} ms");
}

#[test]
fn failed_verification_rolls_back_to_the_source_which_takes_writes_again() {
    let net = net(9);
    let out = run_example("hot-migration", &net, "-e probe_table=no_such_schema.t");
    out.status_not(0);
    let text = out.output();
    assert_eq!(field(&out, "drctl exit code:"), "1", "{text}");
    assert_eq!(field(&out, "service now on:"), format!("{net}.1"), "{text}");
    assert_eq!(field(&out, "acknowledged rows missing:"), "0", "{text}");
    out.output_has("target-writable on h3: FAILED")
        // Clients were never sent to the target.
        .output_lacks("repoint-clients on h3")
        .output_has("rollback freeze on h1: ok")
        .output_has("rollback start-target on h3: ok")
        .output_has("rollback precopy on h3: ok");
    assert!(
        !out.sandbox().path("hosts/h3/pgdata").exists(),
        "the target's copy is removed"
    );
}
