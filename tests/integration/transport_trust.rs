//! Issue 11, point 13: host keys as OpenSSH treats them, against real sshd hosts —
//! `@revoked` refuses (never accepted-new), `@cert-authority` keys are not host keys,
//! hashed (`|1|salt|hash`) entries written by `ssh-keygen -H` work.

use std::path::Path;
use std::process::Command;

use crate::direct::run_cmd;
use crate::lab::Lab;

fn rb(lab: &Lab) -> std::path::PathBuf {
    lab.runbook(
        "rb.yaml",
        "drctl: 1\nkind: cutover\nname: lab-trust\nsteps:\n  - id: a\n    on: all\n    run: echo ran >> \"$HOST_DIR/log\"\n",
    )
}

/// The SHA256 fingerprint of a host's key, as `ssh-keygen -l` prints it.
fn fingerprint(lab: &Lab, host: &str) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(lab.path().join(format!("hostkey_{host}.pub")))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

fn accept_new(inv: &Path) {
    let text = std::fs::read_to_string(inv).unwrap().replace(
        "  connect_timeout: 3s\n",
        "  connect_timeout: 3s\n  host_key_checking: accept-new\n",
    );
    std::fs::write(inv, text).unwrap();
}

#[test]
fn a_revoked_host_key_is_refused_with_its_fingerprint_and_nothing_runs() {
    let lab = Lab::start(2);
    let rb = rb(&lab);
    let (h1, h2) = (lab.host("h1"), lab.host("h2"));
    // h2's key is listed as known *and* revoked: revoked wins, as in OpenSSH.
    let kh = lab.path().join("kh-revoked");
    std::fs::write(
        &kh,
        format!(
            "[{a1}]:{p} {k1}\n[{a2}]:{p} {k2}\n@revoked * {k2}\n",
            a1 = h1.addr,
            a2 = h2.addr,
            p = h1.port,
            k1 = h1.host_pub,
            k2 = h2.host_pub
        ),
    )
    .unwrap();
    let inv = lab.inventory_with(&[], &kh);
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("h2: host key is REVOKED"), "{err}");
    assert!(err.contains(&fingerprint(&lab, "h2")), "{err}");
    assert_eq!(lab.read("h1", "log"), "", "a step ran: {err}");
    assert_eq!(lab.read("h2", "log"), "", "a step ran: {err}");
}

#[test]
fn accept_new_never_accepts_a_revoked_key() {
    let lab = Lab::start(1);
    let rb = rb(&lab);
    let h1 = lab.host("h1");
    // Only the revocation is known about h1: an unknown key under accept-new, but revoked.
    let kh = lab.path().join("kh-only-revoked");
    std::fs::write(
        &kh,
        format!("# revoked after the breach\n@revoked * {}\n", h1.host_pub),
    )
    .unwrap();
    let inv = lab.inventory_with(&[], &kh);
    accept_new(&inv);
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("h1: host key is REVOKED"), "{err}");
    assert!(err.contains(&fingerprint(&lab, "h1")), "{err}");
    assert!(!err.contains("accepted"), "{err}");
    assert_eq!(lab.read("h1", "log"), "");
    let after = std::fs::read_to_string(&kh).unwrap();
    assert_eq!(
        after.lines().count(),
        2,
        "the revoked key was recorded: {after}"
    );
}

#[test]
fn hashed_known_hosts_entries_are_accepted() {
    let lab = Lab::start(2);
    let rb = rb(&lab);
    // OpenSSH's own hashing (`HashKnownHosts yes`) of the lab's plain file.
    let kh = lab.path().join("kh-hashed");
    std::fs::copy(&lab.known_hosts, &kh).unwrap();
    let st = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&kh)
        .output()
        .unwrap();
    assert!(st.status.success());
    let text = std::fs::read_to_string(&kh).unwrap();
    assert!(text.lines().all(|l| l.starts_with("|1|")), "{text}");
    let inv = lab.inventory_with(&[], &kh);
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(lab.read("h1", "log"), "ran\n");
    assert_eq!(lab.read("h2", "log"), "ran\n");
    // A hashed entry of another key for h2 is a changed key, not an unknown one.
    let h1 = lab.host("h1");
    let h2 = lab.host("h2");
    std::fs::write(
        &kh,
        format!(
            "[{}]:{} {}\n[{}]:{} {}\n",
            h1.addr, h1.port, h1.host_pub, h2.addr, h2.port, h1.host_pub
        ),
    )
    .unwrap();
    assert!(
        Command::new("ssh-keygen")
            .arg("-H")
            .arg("-f")
            .arg(&kh)
            .output()
            .unwrap()
            .status
            .success()
    );
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("h2: HOST KEY CHANGED"), "{err}");
}

#[test]
fn a_cert_authority_key_is_not_a_host_key_and_a_host_under_a_ca_is_not_accepted_new() {
    let lab = Lab::start(1);
    let rb = rb(&lab);
    let h1 = lab.host("h1");
    // The host's own key listed as a CA for it: that is not the host's key (OpenSSH would
    // only accept a certificate it signed), and accept-new must not add the plain key
    // behind the back of an operator who set up a CA for this host.
    let kh = lab.path().join("kh-ca");
    std::fs::write(
        &kh,
        format!(
            "@cert-authority [{}]:{} {}\n",
            h1.addr, h1.port, h1.host_pub
        ),
    )
    .unwrap();
    let inv = lab.inventory_with(&[], &kh);
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("certificate authority"), "{err}");
    accept_new(&inv);
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert_eq!(lab.read("h1", "log"), "");
    assert_eq!(std::fs::read_to_string(&kh).unwrap().lines().count(), 1);
}
