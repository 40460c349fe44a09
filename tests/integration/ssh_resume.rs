//! Crash, resume and lock against real sshd hosts.

use std::time::{Duration, Instant};

use crate::builder::{Drctl, Outcome, Running};
use crate::lab::Lab;

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

/// `drctl CMD RUNBOOK -i INVENTORY` started in the background on the lab.
fn spawn(lab: &Lab, cmd: &str, rb: &str) -> Running {
    Drctl::new()
        .lab(lab)
        .runbook("rb.yaml", rb)
        .args([cmd, "{runbook}", "-i", "{inventory}", "--no-progress"])
        .spawn()
}

/// RB on 2 hosts, started and waited for until s2 is under way on both.
fn in_s2() -> (Lab, Running) {
    let lab = Lab::start(2);
    let child = spawn(&lab, "run", RB);
    lab.wait_for("h1", "log", "s2-start");
    lab.wait_for("h2", "log", "s2-start");
    (lab, child)
}

#[test]
fn kill_9_mid_step_then_resume_asks_then_reruns_exactly_that_step() {
    let (lab, child) = in_s2();
    let sb = child.sandbox().clone();
    child.kill(); // SIGKILL: no chance to clean up
    let run_id = sb.run_id();

    // Resume refuses to guess about the non-idempotent step that was in flight.
    sb.drctl()
        .args(["resume", &run_id])
        .run()
        .status(5)
        .stderr_has("step `s2` was in flight on host `h");
    std::thread::sleep(Duration::from_secs(2)); // let the orphaned remote sleeps end

    // The operator decides: re-run s2. s1 is not run again; s3 runs once.
    sb.drctl()
        .args(["resume", &run_id, "--rerun", "s2"])
        .run()
        .status(0);
    for h in ["h1", "h2"] {
        let log = lab.read(h, "log");
        let lines: Vec<&str> = log.lines().collect();
        let count = |s: &str| lines.iter().filter(|l| **l == s).count();
        assert_eq!(count("s1"), 1, "{h}: {log}");
        assert_eq!(count("s3"), 1, "{h}: {log}");
        assert_eq!(lines.last(), Some(&"s3"), "{h}: {log}");
        assert_eq!(count("s2-start"), 2, "{h}: s2 re-run once: {log}");
    }
    let v = sb
        .drctl()
        .args(["status", &run_id, "--format", "json"])
        .run()
        .json();
    assert_eq!(v["outcome"], "succeeded");
}

#[test]
fn second_concurrent_run_of_the_same_runbook_is_refused() {
    let lab = Lab::start(1);
    let first = spawn(
        &lab,
        "run",
        "drctl: 1\nkind: cutover\nname: lab-lock\nsteps:\n  - id: a\n    on: h1\n    run: echo a >> \"$HOST_DIR/log\"; sleep 2\n",
    );
    lab.wait_for("h1", "log", "a");
    first
        .sandbox()
        .drctl()
        .args(["run", "{runbook}", "-i", "{inventory}"])
        .run()
        .status(4)
        .stderr_has("locked by run lab-lock-")
        .stderr_has("pid");
    first.wait().status(0);
    assert_eq!(
        lab.read("h1", "log"),
        "a\n",
        "the refused run executed something"
    );
}

#[test]
fn ctrl_c_lets_the_step_in_flight_finish_saves_and_resume_goes_on() {
    let (lab, child) = in_s2();
    child.signal(libc::SIGINT);
    let out = child.wait();
    out.status(130);
    for h in ["h1", "h2"] {
        // s2 was allowed to finish and was recorded; s3 was not started.
        assert_eq!(lab.read(h, "log"), "s1\ns2-start\ns2\n", "{h}");
    }
    out.drctl().args(["resume", &out.run_id()]).run().status(0);
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

fn rollback_meets(sig: i32) -> (Outcome, Duration, Lab) {
    let lab = Lab::start(2);
    let child = spawn(&lab, "failover", RB_ROLLBACK);
    lab.wait_for("h1", "log", "s3");
    lab.signal_all("h2", sig);
    let started = Instant::now();
    let out = child.wait();
    let took = started.elapsed();
    lab.signal_all("h2", libc::SIGCONT);
    out.status(3);
    (out, took, lab)
}

#[test]
fn host_hung_during_rollback_is_named_within_its_timeout_and_the_rest_is_left_for_a_human() {
    let (out, took, lab) = rollback_meets(libc::SIGSTOP);
    out.stderr_has("rollback s2 on h2: FAILED: h2: timed out")
        .stderr_has("rollback of step `s2` failed on h2")
        .stderr_has("Left undone (newest first): s2 on h2; s1 on h1,h2");
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
    let (out, _, mut lab) = rollback_meets(libc::SIGKILL);
    out.stderr_has("rollback s2 on h2: FAILED: h2:")
        .stderr_has("rollback of step `s2` failed on h2");
    assert_eq!(lab.read("h2", "log"), "s1\ns2\n");
    // The host comes back (a new sshd on the same address and key); `drctl rollback`
    // finishes the job: h2's s2 and s1 undone, h1's s2 not undone twice.
    lab.restart("h2");
    // The run failed and is now rolled back cleanly: exit 1, as its final line says.
    out.drctl()
        .args(["rollback", &out.run_id()])
        .run()
        .status(1)
        .stderr_has("rolled-back in")
        .stderr_has("(exit 1)");
    assert_eq!(lab.read("h1", "log"), "s1\ns2\ns3\nundo-s2\nundo-s1\n");
    assert_eq!(lab.read("h2", "log"), "s1\ns2\nundo-s2\nundo-s1\n");
}

#[test]
fn second_ctrl_c_stops_at_once_and_records_the_step_in_flight_as_unknown() {
    let (lab, child) = in_s2();
    child.signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(200));
    child.signal(libc::SIGINT);
    let out = child.wait();
    out.status(130).stderr_has("second Ctrl-C");
    // drctl did not wait for s2 (2 s): its outcome is recorded as unknown on both hosts.
    let run_id = out.run_id();
    let v = out
        .drctl()
        .args(["status", &run_id, "--format", "json"])
        .run()
        .json();
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
    out.drctl().args(["resume", &run_id]).run().status(5);
    out.drctl()
        .args(["resume", &run_id, "--skip", "s2"])
        .run()
        .status(0);
    for h in ["h1", "h2"] {
        assert_eq!(lab.read(h, "log"), "s1\ns2-start\ns2\ns3\n", "{h}");
    }
}
