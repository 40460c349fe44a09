//! Issue 13 (1, 2): hosts behind bastions (`proxy_jump`, chains, ProxyJump from an OpenSSH
//! client config) on real sshds in a network namespace the controller has no route into:
//! one SSH connection per bastion, chains, strict host keys at every hop, ssh_config aliases.
//! Liveness behind bastions: `bastion_liveness`.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use crate::builder::Drctl;
use crate::jump_lab::{JumpLab, netns_available};

const RB: &str = "drctl: 1\nkind: failover\nname: jump\nsteps:\n  - id: who\n    on: [t1, t2]\n    run: id -un > \"$HOST_DIR/ran\"\n  - id: again\n    on: [t1, t2]\n    run: echo again >> \"$HOST_DIR/ran\"\n";

/// An inventory: bastions and targets with their `proxy_jump`.
pub fn inventory(lab: &JumpLab, known_hosts: &Path, hosts: &[(&str, Option<&str>)]) -> String {
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
