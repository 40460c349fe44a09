//! Runbooks against real sshd hosts: effects on each host's files, order, parallelism,
//! rollback on exactly the right hosts, hung/dead hosts, host keys.


use std::time::{Duration, Instant};

use crate::lab::{Lab, run_cmd, spawn_cmd, wait_for};

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

#[test]
fn multi_host_run_in_order_with_captures_and_upload() {
    let lab = Lab::start(3);
    let inv = lab.inventory(&[("primary", &["h1"]), ("standby", &["h2", "h3"])]);
    std::fs::write(
        lab.path().join("payload.txt"),
        "hello from the controller\n",
    )
    .unwrap();
    let rb = lab.runbook(
        "rb.yaml",
        r#"drctl: 1
kind: failover
name: lab-order
steps:
  - id: first
    on: all
    run: echo "first {{ host.name }}" >> "$HOST_DIR/log"
  - id: whoami
    on: standby
    run: echo "id-$(basename "$HOST_DIR")"
    capture: ident
  - id: use-capture
    on: standby
    run: echo "second {{ ident }}" >> "$HOST_DIR/log"
  - id: push
    on: primary
    upload: { src: payload.txt, dest: "/tmp/drctl-test-{{ run_id }}-payload", mode: "0600" }
  - id: check-push
    on: primary
    run: cat "/tmp/drctl-test-{{ run_id }}-payload" >> "$HOST_DIR/log"; stat -c %a "/tmp/drctl-test-{{ run_id }}-payload" >> "$HOST_DIR/log"; rm -f "/tmp/drctl-test-{{ run_id }}-payload"
"#,
    );
    let out = run_cmd(&lab, "failover", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(
        lines(&lab.read("h1", "log")),
        ["first h1", "hello from the controller", "600"]
    );
    assert_eq!(lines(&lab.read("h2", "log")), ["first h2", "second id-h2"]);
    assert_eq!(lines(&lab.read("h3", "log")), ["first h3", "second id-h3"]);
    assert!(err.contains("summary:"), "{err}");
}

#[test]
fn wrong_kind_is_refused_before_anything_runs() {
    let lab = Lab::start(1);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook("rb.yaml", "drctl: 1\nkind: restore\nname: r\nsteps:\n  - id: a\n    on: h1\n    run: touch \"$HOST_DIR/ran\"\n");
    let out = run_cmd(&lab, "failover", &rb, &inv);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`restore` runbook"));
    assert_eq!(lab.read("h1", "ran"), "");
}

#[test]
fn steps_fan_out_in_parallel_and_serial_limits_it() {
    let lab = Lab::start(4);
    let inv = lab.inventory(&[]);
    // Each host records when its command started and ended (ms since epoch).
    let rb = lab.runbook(
        "rb.yaml",
        r#"drctl: 1
kind: cutover
name: lab-parallel
steps:
  - id: wide
    on: all
    run: echo "$(date +%s%3N) $(sleep 0.5; date +%s%3N)" > "$HOST_DIR/wide"
  - id: rolling
    on: all
    serial: 1
    run: echo "$(date +%s%3N) $(sleep 0.2; date +%s%3N)" > "$HOST_DIR/rolling"
"#,
    );
    let out = run_cmd(&lab, "run", &rb, &inv);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spans = |f: &str| -> Vec<(u64, u64)> {
        lab.hosts
            .iter()
            .map(|h| {
                let s = lab.read(&h.name, f);
                let v: Vec<u64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();
                (v[0], v[1])
            })
            .collect()
    };
    let overlap = |v: &[(u64, u64)]| {
        v.iter().map(|s| s.0).max().unwrap() < v.iter().map(|s| s.1).min().unwrap()
    };
    assert!(
        overlap(&spans("wide")),
        "the 4 hosts did not run at the same time: {:?}",
        spans("wide")
    );
    let mut r = spans("rolling");
    r.sort();
    assert!(
        r.windows(2).all(|w| w[0].1 <= w[1].0),
        "serial: 1 ran hosts at once: {r:?}"
    );
}

#[test]
fn failure_rolls_back_newest_first_on_exactly_the_hosts_that_succeeded() {
    let lab = Lab::start(3);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook(
        "rb.yaml",
        r#"drctl: 1
kind: migration
name: lab-rollback
steps:
  - id: s1
    on: all
    run: echo s1 >> "$HOST_DIR/log"
    rollback: echo undo-s1 >> "$HOST_DIR/log"
  - id: s2
    on: all
    run: echo s2 >> "$HOST_DIR/log"; test {{ host.name }} != h2
    rollback: echo undo-s2 >> "$HOST_DIR/log"
  - id: s3
    on: all
    run: echo s3 >> "$HOST_DIR/log"
    rollback: echo undo-s3 >> "$HOST_DIR/log"
"#,
    );
    let out = run_cmd(&lab, "migrate", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // h2 failed s2: its s2 is not undone; h1 and h3 completed s2 and get it undone, then s1 everywhere.
    assert_eq!(
        lines(&lab.read("h1", "log")),
        ["s1", "s2", "undo-s2", "undo-s1"]
    );
    assert_eq!(lines(&lab.read("h2", "log")), ["s1", "s2", "undo-s1"]);
    assert_eq!(
        lines(&lab.read("h3", "log")),
        ["s1", "s2", "undo-s2", "undo-s1"]
    );
    assert!(err.contains("s2 on h2: FAILED"), "{err}");
}

#[test]
fn host_hung_mid_run_is_reported_by_name_within_its_timeout() {
    let lab = Lab::start(2);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook(
        "rb.yaml",
        r#"drctl: 1
kind: cutover
name: lab-hung
defaults: { on_failure: abort }
steps:
  - id: warm
    on: all
    run: echo warm >> "$HOST_DIR/log"
  - id: pause
    on: h1
    run: sleep 1
  - id: slow
    on: all
    timeout: 2s
    run: sleep 1; echo done >> "$HOST_DIR/log"
"#,
    );
    // The connections are up and a step has run when h2 (its sshd and sessions) freezes,
    // during `pause`, before `slow` is sent to it.
    let child = spawn_cmd(&lab, "run", &rb, &inv);
    wait_for(&lab.host("h2").dir.join("log"), "warm");
    lab.signal_all("h2", libc::SIGSTOP);
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    let took = started.elapsed();
    lab.signal_all("h2", libc::SIGCONT);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("slow on h2: FAILED: h2: timed out"), "{err}");
    assert_eq!(lab.read("h1", "log"), "warm\ndone\n");
    // `slow` reached h2's socket before drctl gave up; a thawed host may still run it a
    // second later (its outcome is reported unknown to a human), never before the thaw.
    assert_eq!(lab.read("h2", "log"), "warm\n", "h2 was frozen");
    // Bounded by the step's 2s timeout plus the 3s attempt to kill the remote command.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn command_timeout_kills_the_remote_command() {
    let lab = Lab::start(1);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook(
        "rb.yaml",
        r#"drctl: 1
kind: cutover
name: lab-timeout
steps:
  - id: slow
    on: h1
    timeout: 1s
    run: echo started > "$HOST_DIR/log"; sleep 3; echo not-killed >> "$HOST_DIR/log"
"#,
    );
    let out = run_cmd(&lab, "run", &rb, &inv);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        lab.read("h1", "log"),
        "started\n",
        "the remote command outlived its timeout"
    );
}

#[test]
fn dead_host_fails_its_step_with_its_name() {
    let lab = Lab::start(2);
    let inv = lab.inventory(&[]);
    lab.signal_all("h2", libc::SIGKILL);
    let rb = lab.runbook("rb.yaml", "drctl: 1\nkind: cutover\nname: lab-dead\nsteps:\n  - id: a\n    on: all\n    run: echo a >> \"$HOST_DIR/log\"\n    rollback: echo undo-a >> \"$HOST_DIR/log\"\n");
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("h2: cannot connect"), "{err}");
    assert_eq!(lines(&lab.read("h1", "log")), ["a", "undo-a"]);
}

#[test]
fn unknown_and_changed_host_keys_refuse_before_anything_runs() {
    let lab = Lab::start(2);
    let rb = lab.runbook("rb.yaml", "drctl: 1\nkind: cutover\nname: lab-keys\nsteps:\n  - id: a\n    on: all\n    run: echo ran >> \"$HOST_DIR/log\"\n");
    // Unknown: h2 missing from known_hosts.
    let kh = lab.path().join("kh-partial");
    let h1 = lab.host("h1");
    std::fs::write(&kh, format!("[{}]:{} {}\n", h1.addr, h1.port, h1.host_pub)).unwrap();
    let inv = lab.inventory_with(&[], &kh);
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("h2: host key is not in") && err.contains("SHA256:"),
        "{err}"
    );
    assert_eq!(
        lab.read("h1", "log"),
        "",
        "a step ran although a host key was refused"
    );
    // Changed: h2 listed with h1's key.
    let h2 = lab.host("h2");
    std::fs::write(
        &kh,
        format!(
            "[{}]:{} {}\n[{}]:{} {}\n",
            h1.addr, h1.port, h1.host_pub, h2.addr, h2.port, h1.host_pub
        ),
    )
    .unwrap();
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("HOST KEY CHANGED"), "{err}");
    assert_eq!(lab.read("h1", "log"), "");
}

#[test]
fn wrong_client_key_names_host_and_user() {
    let lab = Lab::start(1);
    let other = lab.path().join("other_key");
    std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    let inv = lab.inventory(&[]);
    let text = std::fs::read_to_string(&inv)
        .unwrap()
        .replace(&lab.key.display().to_string(), &other.display().to_string());
    std::fs::write(&inv, text).unwrap();
    let rb = lab.runbook("rb.yaml", "drctl: 1\nkind: cutover\nname: lab-auth\nsteps:\n  - id: a\n    on: h1\n    run: \"true\"\n");
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        err.contains(&format!(
            "h1: authentication failed for user `{}`",
            lab.user
        )),
        "{err}"
    );
}

#[test]
fn a_login_shell_that_cannot_be_driven_falls_back_to_a_channel_per_command() {
    // `$SHELL` points at /bin/false: the long-lived shell dies at once. drctl notices, and
    // runs each command over its own channel (sshd uses the account's real shell for those).
    let lab = Lab::start_env(1, "SHELL=/bin/false");
    let inv = lab.inventory(&[]);
    let rb = lab.runbook("rb.yaml", "drctl: 1\nkind: cutover\nname: lab-fallback\nsteps:\n  - id: a\n    on: h1\n    run: echo one >> \"$HOST_DIR/log\"\n  - id: b\n    on: h1\n    run: echo two >> \"$HOST_DIR/log\"; exit 3\n    on_failure: continue\n");
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("b on h1: FAILED"),
        "exit codes still come back: {err}"
    );
    assert_eq!(lines(&lab.read("h1", "log")), ["one", "two"]);
}

#[test]
fn exec_mode_channel_in_the_inventory_runs_each_command_on_its_own_channel() {
    let lab = Lab::start(2);
    let inv = lab.inventory(&[]);
    let text = std::fs::read_to_string(&inv).unwrap().replace(
        "connect_timeout: 3s",
        "connect_timeout: 3s\n  exec_mode: channel",
    );
    std::fs::write(&inv, text).unwrap();
    // In a channel per command, each command is its own session: `$$` differs per step.
    let rb = lab.runbook("rb.yaml", "drctl: 1\nkind: cutover\nname: lab-channel\nsteps:\n  - id: a\n    on: all\n    run: echo $$ >> \"$HOST_DIR/log\"\n  - id: b\n    on: all\n    run: echo $$ >> \"$HOST_DIR/log\"\n");
    let out = run_cmd(&lab, "run", &rb, &inv);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for h in ["h1", "h2"] {
        let log = lab.read(h, "log");
        let l = lines(&log);
        assert_eq!(l.len(), 2);
        assert_ne!(l[0], l[1], "{h}: both commands came from one session");
    }
}
