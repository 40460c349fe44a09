//! Issue 6, scenario 1: a real PostgreSQL 15 primary with a synchronous standby, each on its
//! own simulated host (sshd + PostgreSQL on loopback, as a non-root user). The primary is
//! killed mid-write; `drctl failover` promotes the standby. Every acknowledged row must be
//! on the new primary and new writes must succeed; a failure after the repoint must put
//! the clients' endpoint back.

use std::path::Path;
use std::process::Command;

use crate::builder::Sandbox;
use crate::pg::{field, net, run_example};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn need_postgres() {
    assert!(
        Path::new("/usr/lib/postgresql/15/bin/postgres").exists(),
        "PostgreSQL 15 is not installed: scripts/test installs it"
    );
}

#[test]
fn failover_of_a_killed_primary_loses_no_acknowledged_row_and_takes_new_writes() {
    let out = run_example("pg-failover", &net(1), "");
    out.status(0);
    let text = out.output();
    let num = |name: &str| -> i64 { field(&out, name).parse().unwrap() };
    // Completed, but the fence of the dead primary failed and the run went on past it:
    // drctl never calls that "every step succeeded" (exit 3, named in the final line).
    assert_eq!(num("drctl exit code:"), 3, "{text}");
    assert!(text.contains("`fence-primary` failed on h1"), "{text}");
    assert!(num("acknowledged before loss:") >= 50, "{text}");
    assert_eq!(num("acknowledged rows missing:"), 0, "RPO 0: {text}");
    assert!(num("new writes after failover:") > 0, "{text}");
    // The steps ran in order on the right hosts.
    let order: Vec<String> = out
        .journal()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["ev"] == "finished")
        .map(|r| {
            format!(
                "{}@{}",
                r["step"].as_str().unwrap(),
                r["host"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            "standby-healthy@h2",
            "standby-in-recovery@h2",
            "standby-lag@h2",
            "fence-primary@h1",
            "promote@h2",
            "writable@h2",
            "stop-waiting-for-standby@h2",
            "new-endpoint@h2",
            "repoint-clients@h3",
            "write-through-endpoint@h3"
        ]
    );
}

#[test]
fn a_failure_after_the_repoint_puts_the_clients_endpoint_back() {
    need_postgres();
    // Declared before `_stop`, so the folder is removed after the lab is stopped (lab.sh
    // stop needs the pid files in it).
    let sb = Sandbox::new();
    let dir = sb.path("lab");
    let lab = root().join("examples/pg-failover/lab.sh");
    let net = net(2);
    let st = Command::new(&lab)
        .args(["start"])
        .arg(&dir)
        .env("NET", &net)
        .status()
        .unwrap();
    assert!(st.success());
    struct Stop<'a>(&'a Path, &'a Path);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let _ = Command::new(self.0).arg("stop").arg(self.1).status();
        }
    }
    let _stop = Stop(&lab, &dir);
    let endpoint = dir.join("hosts/h3/db-endpoint");
    let before = std::fs::read_to_string(&endpoint).unwrap();
    assert_eq!(before, format!("host={net}.1 port=5432\n"));
    assert!(
        Command::new(&lab)
            .arg("kill-primary")
            .arg(&dir)
            .status()
            .unwrap()
            .success()
    );
    let out = sb
        .drctl()
        .dir(&dir)
        .arg("failover")
        .arg(root().join("runbooks/pg-failover.yaml"))
        .args([
            "-i",
            "{dir}/inventory.yaml",
            "--approve",
            "confirm-promote",
            "-e",
        ])
        .arg(format!("endpoint={}", endpoint.display()))
        // The verification write goes to a schema that does not exist: it fails.
        .args(["-e", "probe_table=no_such_schema.t"])
        .run();
    out.status(1)
        .stderr_has("write-through-endpoint on h3: FAILED")
        // The psql error is shown.
        .stderr_has("no_such_schema")
        .stderr_has("rollback repoint-clients on h3: ok");
    assert_eq!(
        std::fs::read_to_string(&endpoint).unwrap(),
        before,
        "endpoint not restored"
    );
    assert!(!dir.join("hosts/h3/db-endpoint.bak").exists());
    // The promotion cannot be undone by drctl: the report tells the human.
    out.drctl()
        .args(["report", "--format", "md"])
        .run()
        .stdout_has("step `promote` has no rollback; if it changed h2, undo that by hand");
}
