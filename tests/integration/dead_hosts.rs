//! Issue 12: dead and frozen hosts cost seconds, not minutes. Against real sshd hosts: a
//! hung host (its sshd SIGSTOPped: TCP connects, SSH never answers) delays neither the
//! healthy hosts' first step nor each of its own later steps by a full connect timeout; a
//! host that freezes mid-command is named, in doubt, within the keepalive window.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::direct::{run_cmd, spawn_cmd};
use crate::lab::Lab;

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

#[test]
fn a_host_frozen_mid_command_is_named_in_doubt_within_the_keepalive_window() {
    let lab = Lab::start(2);
    let inv = lab.inventory(&[]);
    let text = std::fs::read_to_string(&inv).unwrap().replace(
        "  connect_timeout: 3s\n",
        "  connect_timeout: 3s\n  keepalive_interval: 2s\n  keepalive_count_max: 2\n",
    );
    std::fs::write(&inv, text).unwrap();
    let rb = lab.runbook(
        "rb.yaml",
        r#"drctl: 1
kind: failover
name: lab-frozen
steps:
  - id: long
    on: all
    run: touch "$HOST_DIR/started"; sleep 10; echo done >> "$HOST_DIR/t"
"#,
    );
    let mut child = spawn_cmd(&lab, "run", &rb, &inv);
    while !lab.host("h2").dir.join("started").exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    lab.signal_all("h2", libc::SIGSTOP);
    let until = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if Instant::now() > until {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    lab.signal_all("h2", libc::SIGCONT);
    let mut err = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = status.unwrap_or_else(|| panic!("not over within 20 s: {err}"));
    assert_eq!(status.code(), Some(5), "{err}");
    // The healthy host, as silent, is not taken for lost: its command ends.
    assert!(err.contains("long on h1: ok"), "{err}");
    assert_eq!(lab.read("h1", "t"), "done\n");
    let line = err
        .lines()
        .find(|l| l.contains("long on h2: FAILED"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains("h2: connection lost while the command ran")
            && line.contains("no answer to keepalives"),
        "{line}"
    );
    // 2 s × 2 keepalives (+0.5 s) after the freeze, well before the command's 10 s.
    let took: f64 = line
        .rsplit('(')
        .next()
        .and_then(|d| d.trim_end_matches(')').strip_suffix('s'))
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(took < 7.0, "detected {took} s into the step: {line}");
}
