//! Crash, resume and lock against real sshd hosts.


use std::time::Duration;

use crate::lab::{Lab, drctl, run_cmd, spawn_cmd, wait_for};

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

/// s1 and s2 succeed everywhere; s3 fails on h1 after a pause in which the test freezes or
/// kills h2, so the rollback meets a hung or dead host.
const RB_ROLLBACK: &str = r#"drctl: 1
kind: failover
name: lab-rb-host
steps:
  - id: s1
    on: all
    run: echo s1 >> "$HOST_DIR/log"
    rollback: echo undo-s1 >> "$HOST_DIR/log"
  - id: s2
    on: all
    timeout: 2s
    run: echo s2 >> "$HOST_DIR/log"
    rollback: echo undo-s2 >> "$HOST_DIR/log"
  - id: s3
    on: h1
    run: echo s3 >> "$HOST_DIR/log"; sleep 1; false
"#;

fn rollback_meets(sig: i32) -> (String, std::time::Duration, Lab) {
    let lab = Lab::start(2);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook("rb.yaml", RB_ROLLBACK);
    let child = spawn_cmd(&lab, "failover", &rb, &inv);
    wait_for(&lab.host("h1").dir.join("log"), "s3");
    lab.signal_all("h2", sig);
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    let took = started.elapsed();
    lab.signal_all("h2", libc::SIGCONT);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "{err}");
    (err, took, lab)
}

#[test]
fn host_hung_during_rollback_is_named_within_its_timeout_and_the_rest_is_left_for_a_human() {
    let (err, took, lab) = rollback_meets(libc::SIGSTOP);
    assert!(
        err.contains("rollback s2 on h2: FAILED: h2: timed out"),
        "{err}"
    );
    assert!(err.contains("rollback of step `s2` failed on h2"), "{err}");
    assert!(
        err.contains("Left undone (newest first): s2 on h2; s1 on h1,h2"),
        "{err}"
    );
    // h1's s2 was undone; nothing older was touched once the rollback failed. The
    // rollback command sent to h2 just before it froze may still run when it thaws (its
    // outcome is unknown, which is why a human is asked); nothing after it may.
    assert_eq!(lab.read("h1", "log"), "s1\ns2\ns3\nundo-s2\n");
    std::thread::sleep(Duration::from_millis(500));
    let h2 = lab.read("h2", "log");
    assert!(h2 == "s1\ns2\n" || h2 == "s1\ns2\nundo-s2\n", "{h2:?}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn host_killed_during_rollback_is_named_and_rollback_resumes_once_it_is_back() {
    let (err, _, lab) = rollback_meets(libc::SIGKILL);
    assert!(err.contains("rollback s2 on h2: FAILED: h2:"), "{err}");
    assert!(err.contains("rollback of step `s2` failed on h2"), "{err}");
    assert_eq!(lab.read("h2", "log"), "s1\ns2\n");
    // The host comes back (a new sshd on the same address and key); `drctl rollback`
    // finishes the job: h2's s2 and s1 undone, h1's s2 not undone twice.
    let mut lab = lab;
    lab.restart("h2");
    let st = lab.path().join("state");
    let run_id = only_run_id(&st);
    let out = drctl(&st).args(["rollback", &run_id]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(lab.read("h1", "log"), "s1\ns2\ns3\nundo-s2\nundo-s1\n");
    assert_eq!(lab.read("h2", "log"), "s1\ns2\nundo-s2\nundo-s1\n");
}

#[test]
fn second_ctrl_c_stops_at_once_and_records_the_step_in_flight_as_unknown() {
    let lab = Lab::start(2);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook("rb.yaml", RB);
    let st = lab.path().join("state");
    let child = spawn_cmd(&lab, "run", &rb, &inv);
    wait_for(&lab.host("h1").dir.join("log"), "s2-start");
    wait_for(&lab.host("h2").dir.join("log"), "s2-start");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    std::thread::sleep(Duration::from_millis(200));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("second Ctrl-C"), "{err}");
    // drctl did not wait for s2 (2 s): its outcome is recorded as unknown on both hosts.
    let run_id = only_run_id(&st);
    let out = drctl(&st)
        .args(["status", &run_id, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s2 = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "s2")
        .unwrap();
    assert_eq!(s2["hosts"]["h1"], "in flight (unknown)", "{v}");
    assert_eq!(s2["hosts"]["h2"], "in flight (unknown)", "{v}");
    // So resume asks instead of guessing.
    std::thread::sleep(Duration::from_secs(2));
    let out = drctl(&st).args(["resume", &run_id]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let out = drctl(&st)
        .args(["resume", &run_id, "--skip", "s2"])
        .output()
        .unwrap();
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
