//! Crash, resume and lock against real sshd hosts.

mod common;

use std::time::Duration;

use common::{Lab, drctl, run_cmd, spawn_cmd, wait_for};

/// The id of the one run in a state dir.
fn only_run_id(state: &std::path::Path) -> String {
    let mut ids = std::fs::read_dir(state.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
    let id = ids.next().expect("a run");
    assert!(ids.next().is_none(), "more than one run");
    id
}

const RB: &str = r#"drctl: 1
kind: failover
name: lab-crash
steps:
  - id: s1
    on: all
    run: echo s1 >> "$HOST_DIR/log"
  - id: s2
    on: all
    run: echo s2-start >> "$HOST_DIR/log"; sleep 2; echo s2 >> "$HOST_DIR/log"
  - id: s3
    on: all
    run: echo s3 >> "$HOST_DIR/log"
"#;

#[test]
fn kill_9_mid_step_then_resume_asks_then_reruns_exactly_that_step() {
    let lab = Lab::start(2);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook("rb.yaml", RB);
    let st = lab.path().join("state");
    let mut child = spawn_cmd(&lab, "run", &rb, &inv);
    wait_for(&lab.host("h1").dir.join("log"), "s2-start");
    wait_for(&lab.host("h2").dir.join("log"), "s2-start");
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let run_id = only_run_id(&st);

    // Resume refuses to guess about the non-idempotent step that was in flight.
    let out = drctl(&st).args(["resume", &run_id]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("step `s2` was in flight on host `h"), "{err}");
    std::thread::sleep(Duration::from_secs(2)); // let the orphaned remote sleeps end

    // The operator decides: re-run s2. s1 is not run again; s3 runs once.
    let out = drctl(&st)
        .args(["resume", &run_id, "--rerun", "s2"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for h in ["h1", "h2"] {
        let log = lab.read(h, "log");
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(
            lines.iter().filter(|l| **l == "s1").count(),
            1,
            "{h}: {log}"
        );
        assert_eq!(
            lines.iter().filter(|l| **l == "s3").count(),
            1,
            "{h}: {log}"
        );
        assert_eq!(lines.last(), Some(&"s3"), "{h}: {log}");
        assert_eq!(
            lines.iter().filter(|l| **l == "s2-start").count(),
            2,
            "{h}: s2 re-run once: {log}"
        );
    }
    let status = drctl(&st)
        .args(["status", &run_id, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["outcome"], "succeeded");
}

#[test]
fn second_concurrent_run_of_the_same_runbook_is_refused() {
    let lab = Lab::start(1);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook("rb.yaml", "drctl: 1\nkind: cutover\nname: lab-lock\nsteps:\n  - id: a\n    on: h1\n    run: echo a >> \"$HOST_DIR/log\"; sleep 2\n");
    let mut first = spawn_cmd(&lab, "run", &rb, &inv);
    wait_for(&lab.host("h1").dir.join("log"), "a");
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("locked by run lab-lock-") && err.contains("pid"),
        "{err}"
    );
    assert!(first.wait().unwrap().success());
    assert_eq!(
        lab.read("h1", "log"),
        "a\n",
        "the refused run executed something"
    );
}

#[test]
fn ctrl_c_lets_the_step_in_flight_finish_saves_and_resume_goes_on() {
    let lab = Lab::start(2);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook("rb.yaml", RB);
    let st = lab.path().join("state");
    let child = spawn_cmd(&lab, "run", &rb, &inv);
    wait_for(&lab.host("h1").dir.join("log"), "s2-start");
    wait_for(&lab.host("h2").dir.join("log"), "s2-start");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    for h in ["h1", "h2"] {
        // s2 was allowed to finish and was recorded; s3 was not started.
        assert_eq!(lab.read(h, "log"), "s1\ns2-start\ns2\n", "{h}");
    }
    let run_id = only_run_id(&st);
    let out = drctl(&st).args(["resume", &run_id]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for h in ["h1", "h2"] {
        assert_eq!(lab.read(h, "log"), "s1\ns2-start\ns2\ns3\n", "{h}");
    }
}
