//! Issue 13 (1, 2): hosts behind bastions (`proxy_jump`, chains, ProxyJump from an OpenSSH
//! client config) on real sshds in a network namespace the controller has no route into:
//! one SSH connection per bastion, strict host keys at every hop, a lost bastion named with
//! the hosts behind it.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::builder::Drctl;
use crate::jump_lab::{JumpLab, netns_available};

const RB: &str = "drctl: 1\nkind: failover\nname: jump\nsteps:\n  - id: who\n    on: [t1, t2]\n    run: id -un > \"$HOST_DIR/ran\"\n  - id: again\n    on: [t1, t2]\n    run: echo again >> \"$HOST_DIR/ran\"\n";

/// An inventory: bastions and targets with their `proxy_jump`.
fn inventory(lab: &JumpLab, known_hosts: &Path, hosts: &[(&str, Option<&str>)]) -> String {
    let mut s = format!(
        "defaults:\n  user: {}\n  identity: {}\n  known_hosts: {}\n  connect_timeout: 5s\n  ssh_config: none\nhosts:\n",
        lab.user,
        lab.key.display(),
        known_hosts.display()
    );
    for (name, jump) in hosts {
        let (a, p) = lab.reach(name);
        s.push_str(&format!("  {name}: {{ addr: {a}, port: {p}"));
        if let Some(j) = jump {
            s.push_str(&format!(", proxy_jump: \"{j}\""));
        }
        s.push_str(" }\n");
    }
    s
}

fn unreachable_directly(lab: &JumpLab, name: &str) {
    let h = lab.host(name);
    let addr: SocketAddr = format!("{}:{}", h.addr, h.port).parse().unwrap();
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "{name} must not be reachable from the controller's namespace"
    );
}

#[test]
fn two_hosts_through_one_bastion_share_its_single_connection() {
    if !netns_available("two_hosts_through_one_bastion_share_its_single_connection") {
        return;
    }
    let lab = JumpLab::start(&[("b1", true)], &["t1", "t2"]);
    unreachable_directly(&lab, "t1");
    unreachable_directly(&lab, "t2");
    let kh = lab.known_hosts("kh", &["b1", "t1", "t2"]);
    let inv = inventory(
        &lab,
        &kh,
        &[("b1", None), ("t1", Some("b1")), ("t2", Some("b1"))],
    );
    let out = Drctl::new()
        .file("inv.yaml", &inv)
        .runbook("rb.yaml", RB)
        .args(["run", "{runbook}", "-i", "{dir}/inv.yaml", "--yes"])
        .run();
    out.status(0);
    for t in ["t1", "t2"] {
        assert_eq!(lab.read(t, "ran"), format!("{}\nagain\n", lab.user), "{t}");
    }
    assert_eq!(
        lab.connections("b1"),
        1,
        "one SSH connection to the bastion"
    );
    // The same targets without the bastion: not reachable.
    let direct = inventory(&lab, &kh, &[("t1", None), ("t2", None)]);
    let out = out
        .drctl()
        .file("direct.yaml", &direct)
        .args(["hosts", "{runbook}", "-i", "{dir}/direct.yaml"])
        .run();
    out.status(1);
    // `drctl hosts` through the bastion says which way it went.
    let out = out
        .drctl()
        .args(["hosts", "{runbook}", "-i", "{dir}/inv.yaml"])
        .run();
    out.status(0);
    let row = out
        .stdout()
        .lines()
        .find(|l| l.starts_with("t1"))
        .unwrap_or("");
    assert!(row.contains("b1"), "{}", out.stdout());
}

#[test]
fn a_two_hop_chain_reaches_a_host_behind_both_bastions() {
    if !netns_available("a_two_hop_chain_reaches_a_host_behind_both_bastions") {
        return;
    }
    let lab = JumpLab::start(&[("b1", true), ("b2", false)], &["t1", "t2"]);
    let kh = lab.known_hosts("kh", &["b1", "b2", "t1", "t2"]);
    let b2 = lab.host("b2");
    // b1 from the inventory, b2 written `user@host:port`.
    let chain = format!("b1,{}@{}:{}", lab.user, b2.addr, b2.port);
    let inv = inventory(
        &lab,
        &kh,
        &[("b1", None), ("t1", Some(&chain)), ("t2", Some(&chain))],
    );
    let out = Drctl::new()
        .file("inv.yaml", &inv)
        .runbook("rb.yaml", RB)
        .args(["run", "{runbook}", "-i", "{dir}/inv.yaml", "--yes"])
        .run();
    out.status(0);
    for t in ["t1", "t2"] {
        assert_eq!(lab.read(t, "ran"), format!("{}\nagain\n", lab.user), "{t}");
    }
    assert_eq!(lab.connections("b1"), 1);
    assert_eq!(lab.connections("b2"), 1);
}

#[test]
fn an_unknown_bastion_key_refuses_with_its_fingerprint() {
    if !netns_available("an_unknown_bastion_key_refuses_with_its_fingerprint") {
        return;
    }
    let lab = JumpLab::start(&[("b1", true)], &["t1", "t2"]);
    let kh = lab.known_hosts("kh", &["t1", "t2"]);
    let inv = inventory(
        &lab,
        &kh,
        &[("b1", None), ("t1", Some("b1")), ("t2", Some("b1"))],
    );
    let out = Drctl::new()
        .file("inv.yaml", &inv)
        .runbook("rb.yaml", RB)
        .args(["run", "{runbook}", "-i", "{dir}/inv.yaml", "--yes"])
        .run();
    out.status(4);
    out.output_has("bastion `b1`").output_has("SHA256:");
    assert_eq!(lab.read("t1", "ran"), "");
    assert_eq!(lab.read("t2", "ran"), "");
    // The evening-before check says the same.
    let hosts = out
        .drctl()
        .args(["hosts", "{runbook}", "-i", "{dir}/inv.yaml"])
        .run();
    hosts.status(4);
    hosts.output_has("bastion `b1`").output_has("SHA256:");
}

#[test]
fn a_target_behind_the_bastion_with_a_wrong_key_refuses() {
    if !netns_available("a_target_behind_the_bastion_with_a_wrong_key_refuses") {
        return;
    }
    let lab = JumpLab::start(&[("b1", true)], &["t1", "t2"]);
    let kh = lab.known_hosts("kh", &["b1", "t1", "t2"]);
    // t1's line carries t2's key: a changed key.
    let t1 = lab.host("t1");
    let text = std::fs::read_to_string(&kh).unwrap().replace(
        &format!("[{}]:{} {}", t1.addr, t1.port, t1.host_pub),
        &format!("[{}]:{} {}", t1.addr, t1.port, lab.host("t2").host_pub),
    );
    std::fs::write(&kh, text).unwrap();
    let inv = inventory(
        &lab,
        &kh,
        &[("b1", None), ("t1", Some("b1")), ("t2", Some("b1"))],
    );
    let out = Drctl::new()
        .file("inv.yaml", &inv)
        .runbook("rb.yaml", RB)
        .args(["run", "{runbook}", "-i", "{dir}/inv.yaml", "--yes"])
        .run();
    out.status(4);
    out.output_has("t1")
        .output_has("HOST KEY CHANGED")
        .output_has("SHA256:");
    assert_eq!(lab.read("t1", "ran"), "");
    assert_eq!(lab.read("t2", "ran"), "");
}

#[test]
fn an_ssh_config_alias_with_patterns_include_and_proxyjump_resolves() {
    if !netns_available("an_ssh_config_alias_with_patterns_include_and_proxyjump_resolves") {
        return;
    }
    let lab = JumpLab::start(&[("b1", true)], &["t1", "t2"]);
    let kh = lab.known_hosts("kh", &["b1", "t1", "t2"]);
    let (ba, bp) = lab.reach("b1");
    let (t1, t2) = (lab.host("t1"), lab.host("t2"));
    let dir = lab.path();
    std::fs::write(
        dir.join("targets.conf"),
        format!(
            "Host t* !t2\n  HostName {}\n  Port {}\nHost t2\n  HostName {}\n  Port {}\nHost t*\n  ProxyJump jump\n",
            t1.addr, t1.port, t2.addr, t2.port
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("config"),
        format!(
            "Include {}/targets.conf\nHost jump\n  HostName {ba}\n  Port {bp}\nHost *\n  User {}\n  IdentityFile {}\n  UserKnownHostsFile {}\n",
            dir.display(),
            lab.user,
            lab.key.display(),
            kh.display()
        ),
    )
    .unwrap();
    let inv = format!(
        "defaults:\n  ssh_config: {}/config\nhosts:\n  t1: {{}}\n  t2: {{}}\n",
        dir.display()
    );
    let out = Drctl::new()
        .file("inv.yaml", &inv)
        .runbook("rb.yaml", RB)
        .args(["run", "{runbook}", "-i", "{dir}/inv.yaml", "--yes"])
        .run();
    out.status(0);
    for t in ["t1", "t2"] {
        assert_eq!(lab.read(t, "ran"), format!("{}\nagain\n", lab.user), "{t}");
    }
    assert_eq!(lab.connections("b1"), 1);
    // A broken config is a diagnostic with its line, not a panic.
    std::fs::write(dir.join("targets.conf"), "Host t1\n  NoSuchOption 1\n").unwrap();
    let bad = out
        .drctl()
        .args(["validate", "{runbook}", "-i", "{dir}/inv.yaml"])
        .run();
    bad.status_not(0);
    bad.output_has("line 2").output_has("ssh_config");
}

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
