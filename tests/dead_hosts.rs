//! Issue 12: dead and frozen hosts cost seconds, not minutes. Against real sshd hosts: a
//! hung host (its sshd SIGSTOPped: TCP connects, SSH never answers) delays neither the
//! healthy hosts' first step nor each of its own later steps by a full connect timeout; a
//! host that freezes mid-command is named, in doubt, within the keepalive window.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Lab, run_cmd, spawn_cmd};

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

#[test]
fn a_hung_host_costs_one_connect_timeout_per_run_and_never_delays_healthy_hosts() {
    let lab = Lab::start(3);
    let inv = lab.inventory(&[]); // connect_timeout: 3s
    lab.signal_all("h2", libc::SIGSTOP);
    let rb = lab.runbook(
        "rb.yaml",
        r#"drctl: 1
kind: failover
name: lab-hung
steps:
  - id: a
    on: all
    run: date +%s%3N >> "$HOST_DIR/t"
    on_failure: continue
  - id: b
    on: all
    run: date +%s%3N >> "$HOST_DIR/t"
    on_failure: continue
  - id: c
    on: all
    run: date +%s%3N >> "$HOST_DIR/t"
    on_failure: continue
"#,
    );
    let t0 = now_ms();
    let started = Instant::now();
    let out = run_cmd(&lab, "run", &rb, &inv);
    let wall = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    for h in ["h1", "h3"] {
        let times: Vec<u128> = lab
            .read(h, "t")
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect();
        assert_eq!(times.len(), 3, "{h}: {err}");
        assert!(
            times[0] - t0 < 1500,
            "{h}'s first step started {} ms after the run",
            times[0] - t0
        );
    }
    // One connect timeout (3 s) for h2 in the whole run, not one per step.
    assert!(wall < Duration::from_secs(7), "run took {wall:?}: {err}");
    for step in ["a", "b", "c"] {
        assert!(err.contains(&format!("{step} on h2: FAILED")), "{err}");
    }
    assert!(err.contains("not dialled again"), "{err}");
    lab.signal_all("h2", libc::SIGCONT);
}

#[test]
fn a_step_that_retries_dials_a_failed_host_again() {
    // A host down at the start comes back: a step with retries reaches it.
    let mut lab = Lab::start(1);
    let inv = lab.inventory(&[]);
    lab.signal_all("h1", libc::SIGKILL);
    let rb = lab.runbook(
        "rb.yaml",
        r#"drctl: 1
kind: failover
name: lab-back
steps:
  - id: wait
    on: h1
    run: echo up >> "$HOST_DIR/t"
    retries: 20
    retry_delay: 500ms
"#,
    );
    let child = spawn_cmd(&lab, "run", &rb, &inv);
    std::thread::sleep(Duration::from_secs(2));
    lab.restart("h1");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(lab.read("h1", "t"), "up\n");
}
