//! Issue 13 (2): liveness behind bastions, on real sshds in a network namespace — a bastion
//! killed or frozen mid-run fails every host behind it, naming it and them; a frozen host
//! behind a bastion is lost alone; a step through a bastion costs milliseconds.

use std::time::{Duration, Instant};

use crate::bastion::inventory;
use crate::builder::Drctl;
use crate::jump_lab::{JumpLab, netns_available};

#[test]
fn a_bastion_killed_mid_run_is_named_with_the_hosts_behind_it() {
    if !netns_available("a_bastion_killed_mid_run_is_named_with_the_hosts_behind_it") {
        return;
    }
    let lab = JumpLab::start(&[("b1", true)], &["t1", "t2"]);
    let kh = lab.known_hosts("kh", &["b1", "t1", "t2"]);
    let inv = inventory(
        &lab,
        &kh,
        &[("b1", None), ("t1", Some("b1")), ("t2", Some("b1"))],
    );
    let rb = "drctl: 1\nkind: failover\nname: jump\nsteps:\n  - id: long\n    on: [t1, t2]\n    run: touch \"$HOST_DIR/started\"; sleep 30\n    timeout: 60s\n";
    let running = Drctl::new()
        .file("inv.yaml", &inv)
        .runbook("rb.yaml", rb)
        .args(["run", "{runbook}", "-i", "{dir}/inv.yaml", "--yes"])
        .spawn();
    let until = Instant::now() + Duration::from_secs(20);
    while !(lab.host("t1").dir.join("started").exists()
        && lab.host("t2").dir.join("started").exists())
    {
        assert!(Instant::now() < until, "the step never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = Instant::now();
    lab.kill_host("b1");
    let out = running.wait();
    assert!(
        killed.elapsed() < Duration::from_secs(20),
        "drctl took {:?} to notice",
        killed.elapsed()
    );
    out.status_not(0);
    out.output_has("bastion `b1`")
        .output_has("hosts behind it: ");
    let text = out.output();
    let line = text
        .lines()
        .find(|l| l.contains("hosts behind it"))
        .unwrap_or("");
    assert!(line.contains("t1") && line.contains("t2"), "{text}");
}

#[test]
fn a_hung_target_behind_a_bastion_is_lost_alone() {
    if !netns_available("a_hung_target_behind_a_bastion_is_lost_alone") {
        return;
    }
    let lab = JumpLab::start(&[("b1", true)], &["t1", "t2"]);
    let kh = lab.known_hosts("kh", &["b1", "t1", "t2"]);
    let inv = inventory(
        &lab,
        &kh,
        &[("b1", None), ("t1", Some("b1")), ("t2", Some("b1"))],
    )
    .replace(
        "  connect_timeout: 5s\n",
        "  connect_timeout: 5s\n  keepalive_interval: 2s\n  keepalive_count_max: 2\n",
    );
    let rb = "drctl: 1\nkind: failover\nname: jump\nsteps:\n  - id: work\n    on: [t1, t2]\n    run: touch \"$HOST_DIR/started\"; sleep 6; echo done > \"$HOST_DIR/ran\"\n    timeout: 60s\n";
    let running = Drctl::new()
        .file("inv.yaml", &inv)
        .runbook("rb.yaml", rb)
        .args(["run", "{runbook}", "-i", "{dir}/inv.yaml", "--yes"])
        .spawn();
    let until = Instant::now() + Duration::from_secs(20);
    while !(lab.host("t1").dir.join("started").exists()
        && lab.host("t2").dir.join("started").exists())
    {
        assert!(Instant::now() < until, "the step never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    // t1 freezes (its sshd and sessions stopped): it answers nothing, not even keepalives.
    lab.signal_host("t1", libc::SIGSTOP);
    let frozen = Instant::now();
    let out = running.wait();
    assert!(
        frozen.elapsed() < Duration::from_secs(20),
        "drctl took {:?}",
        frozen.elapsed()
    );
    lab.signal_host("t1", libc::SIGCONT);
    out.status_not(0);
    assert_eq!(
        lab.read("t2", "ran"),
        "done\n",
        "t2 behind the same bastion finished"
    );
    out.output_has("no answer to keepalives")
        .output_has("through bastion `b1`")
        .output_lacks("is lost:");
}

#[test]
fn a_frozen_bastion_fails_every_host_behind_it_naming_it() {
    if !netns_available("a_frozen_bastion_fails_every_host_behind_it_naming_it") {
        return;
    }
    let lab = JumpLab::start(&[("b1", true)], &["t1", "t2"]);
    let kh = lab.known_hosts("kh", &["b1", "t1", "t2"]);
    let inv = inventory(
        &lab,
        &kh,
        &[("b1", None), ("t1", Some("b1")), ("t2", Some("b1"))],
    )
    .replace(
        "  connect_timeout: 5s\n",
        "  connect_timeout: 5s\n  keepalive_interval: 2s\n  keepalive_count_max: 2\n",
    );
    let rb = "drctl: 1\nkind: failover\nname: jump\nsteps:\n  - id: long\n    on: [t1, t2]\n    run: touch \"$HOST_DIR/started\"; sleep 30\n    timeout: 60s\n";
    let running = Drctl::new()
        .file("inv.yaml", &inv)
        .runbook("rb.yaml", rb)
        .args(["run", "{runbook}", "-i", "{dir}/inv.yaml", "--yes"])
        .spawn();
    let until = Instant::now() + Duration::from_secs(20);
    while !(lab.host("t1").dir.join("started").exists()
        && lab.host("t2").dir.join("started").exists())
    {
        assert!(Instant::now() < until, "the step never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    lab.signal_host("b1", libc::SIGSTOP);
    let frozen = Instant::now();
    let out = running.wait();
    let took = frozen.elapsed();
    lab.signal_host("b1", libc::SIGCONT);
    assert!(took < Duration::from_secs(15), "drctl took {took:?}");
    out.status(5);
    let text = out.output();
    for t in ["t1", "t2"] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("on {t}: FAILED")))
            .unwrap_or_else(|| panic!("no failure for {t}: {text}"));
        assert!(
            line.contains("bastion `b1`")
                && (line.contains("is lost") || line.contains("itself silent")),
            "{line}"
        );
    }
}

/// A step through a bastion costs milliseconds, not a delayed-ACK stall (~40 ms: the
/// bastion's sshd does not set TCP_NODELAY for a forwarding, so drctl acknowledges at once).
/// drctl runs inside the namespace here, so no forwarder of the lab's sits in the path.
#[test]
fn a_step_through_a_bastion_costs_no_delayed_ack_stall() {
    if !netns_available("a_step_through_a_bastion_costs_no_delayed_ack_stall") {
        return;
    }
    let lab = JumpLab::start(&[("b1", false)], &["t1"]);
    let kh = lab.path().join("kh");
    let mut inv = format!(
        "defaults:\n  user: {}\n  identity: {}\n  known_hosts: {}\n  ssh_config: none\nhosts:\n",
        lab.user,
        lab.key.display(),
        kh.display()
    );
    let mut k = String::new();
    for n in ["b1", "t1"] {
        let h = lab.host(n);
        k.push_str(&format!("[{}]:{} {}\n", h.addr, h.port, h.host_pub));
        let jump = if n == "t1" { ", proxy_jump: b1" } else { "" };
        inv.push_str(&format!(
            "  {n}: {{ addr: {}, port: {}{jump} }}\n",
            h.addr, h.port
        ));
    }
    std::fs::write(&kh, k).unwrap();
    let invp = lab.path().join("inv.yaml");
    std::fs::write(&invp, inv).unwrap();
    let timed = |steps: usize| {
        let mut rb = String::from("drctl: 1\nkind: failover\nname: jump\nsteps:\n");
        for i in 0..steps {
            rb.push_str(&format!(
                "  - id: s{i}\n    on: t1\n    run: echo {i} >> \"$HOST_DIR/log\"\n"
            ));
        }
        let rbp = lab.path().join(format!("rb{steps}.yaml"));
        std::fs::write(&rbp, rb).unwrap();
        let t = Instant::now();
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &lab.ns])
            .arg(crate::builder::bin())
            .env("DRCTL_STATE_DIR", lab.path().join("state"))
            .args(["run", "--yes", "-q"])
            .arg(&rbp)
            .arg("-i")
            .arg(&invp)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.elapsed()
    };
    let one = (0..2).map(|_| timed(1)).min().unwrap();
    let many = (0..2).map(|_| timed(31)).min().unwrap();
    let per_step = many.saturating_sub(one) / 30;
    eprintln!("through a bastion: 1 step {one:?}, 31 steps {many:?}, {per_step:?} per step");
    assert!(
        per_step < Duration::from_millis(25),
        "{per_step:?} per step through the bastion"
    );
}

/// libssh2 opens one channel at a time per session: a host whose address hangs (the
/// bastion's connect to it never answers) must not hold up the hosts behind the same
/// bastion. They get a second session to it while the first is stuck.
#[test]
fn a_host_whose_address_hangs_does_not_block_the_others_behind_the_bastion() {
    if !netns_available("a_host_whose_address_hangs_does_not_block_the_others_behind_the_bastion") {
        return;
    }
    let lab = JumpLab::start(&[("b1", true)], &["t1", "t2"]);
    // Inside the namespace every packet to 127.0.0.99 is dropped: a connect there hangs.
    let mut nft = std::process::Command::new("ip")
        .args(["netns", "exec", &lab.ns, "nft", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("nft (scripts/test installs nftables)");
    use std::io::Write as _;
    nft.stdin
        .take()
        .unwrap()
        .write_all(b"table inet drctl_test {\n chain out {\n  type filter hook output priority 0;\n  ip daddr 127.0.0.99 drop\n }\n}\n")
        .unwrap();
    assert!(nft.wait().unwrap().success(), "nft rule");
    let kh = lab.known_hosts("kh", &["b1", "t1", "t2"]);
    let inv = inventory(
        &lab,
        &kh,
        &[("b1", None), ("t1", Some("b1")), ("t2", Some("b1"))],
    )
    .replace("  connect_timeout: 5s\n", "  connect_timeout: 3s\n")
        + "  dead: { addr: 127.0.0.99, port: 22, proxy_jump: b1 }\n";
    let rb = "drctl: 1\nkind: failover\nname: jump\nsteps:\n  - id: first\n    on: dead\n    on_failure: continue\n    run: \"true\"\n  - id: then\n    on: [t1, t2]\n    run: id -un > \"$HOST_DIR/ran\"\n";
    let started = Instant::now();
    let out = Drctl::new()
        .file("inv.yaml", &inv)
        .runbook("rb.yaml", rb)
        .args(["run", "{runbook}", "-i", "{dir}/inv.yaml", "--yes"])
        .run();
    let took = started.elapsed();
    for t in ["t1", "t2"] {
        assert_eq!(
            lab.read(t, "ran"),
            format!("{}\n", lab.user),
            "{t} ran behind the bastion while `dead` hung: {}",
            out.output()
        );
    }
    out.output_has("dead");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(lab.connections("b1") <= 2, "at most one extra session");
}
