//! Issue 13, point 7: `drctl hosts` reaches every host of a plan (keys, authentication, a
//! round trip) and prints a table, running no step; a key problem exits 4, a dead host 1.

use crate::builder::Drctl;
use crate::lab;

const RB: &str = "drctl: 1\nkind: failover\nname: reach\nsteps:\n  - id: a\n    on: all\n    run: touch \"$HOST_DIR/ran\"\n  - id: b\n    on: local\n    run: \"true\"\n";

#[test]
fn every_host_is_reached_and_no_step_runs() {
    let out = Drctl::new()
        .hosts(2)
        .runbook("rb.yaml", RB)
        .args(["hosts", "{runbook}", "-i", "{inventory}"])
        .run();
    out.status(0);
    let me = drctl_user();
    for h in ["h1", "h2"] {
        let row = out
            .stdout()
            .lines()
            .find(|l| l.starts_with(h))
            .unwrap_or_else(|| panic!("no row for {h}: {}", out.stdout()));
        assert!(row.contains(&me) && row.ends_with("ok"), "{row}");
        assert_eq!(out.lab().read(h, "ran"), "", "a step ran on {h}");
    }
    assert!(
        out.stdout().lines().any(|l| l.starts_with("local")),
        "{}",
        out.stdout()
    );
    let json = out
        .drctl()
        .args([
            "hosts",
            "{runbook}",
            "-i",
            "{inventory}",
            "--format",
            "json",
        ])
        .run();
    json.status(0);
    let v = json.json();
    assert_eq!(v["hosts"].as_array().unwrap().len(), 3, "{v}");
    assert!(
        v["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["ok"] == true),
        "{v}"
    );
}

fn drctl_user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "root".into())
}

#[test]
fn an_unknown_host_key_exits_4_with_its_fingerprint() {
    let l = lab::Lab::start(2);
    let h2 = l.host("h2");
    // known_hosts lists h1 only.
    let kh = l.path().join("kh-h1-only");
    let h1 = l.host("h1");
    std::fs::write(&kh, format!("[{}]:{} {}\n", h1.addr, h1.port, h1.host_pub)).unwrap();
    let inv = l.inventory_with(&[], &kh);
    let out = Drctl::new()
        .dir(l.path())
        .inventory(&inv)
        .runbook("rb.yaml", RB)
        .args(["hosts", "{runbook}", "-i", "{inventory}"])
        .run();
    out.status(4)
        .stdout_has("HOST KEY")
        .stdout_has(&format!("h2: host key is not in {}", kh.display()))
        .stdout_has("SHA256:");
    assert!(!h2.addr.is_empty());
    assert_eq!(l.read("h1", "ran"), "");
}

#[test]
fn a_dead_host_exits_1_and_is_named() {
    let out = Drctl::new().hosts(2).runbook("rb.yaml", RB);
    let l = out.sandbox().lab();
    l.signal_all("h2", libc::SIGKILL);
    let out = out.args(["hosts", "{runbook}", "-i", "{inventory}"]).run();
    out.status(1)
        .stdout_has("FAILED")
        .stdout_has("h2: cannot connect");
    assert!(
        out.stdout()
            .lines()
            .any(|l| l.starts_with("h1") && l.ends_with("ok")),
        "{}",
        out.stdout()
    );
}

/// Become is checked too: every account a step becomes on a host, through real sudo; a
/// wrong password fails that host (exit 1) and is named, the password itself nowhere.
#[test]
fn become_is_checked_for_every_account_the_plan_needs() {
    use crate::become_lab::{BecomeLab, PASSWORD};
    let bl = BecomeLab::start(3);
    let inv = bl.inventory(
        "  become: true\n",
        &[
            ("h1", "user: drctl-op"),
            ("h2", "user: drctl-op2, become_password: \"{{ op_pw }}\""),
            ("h3", "user: drctl-op2, become_password: \"{{ op_pw }}\""),
        ],
    );
    let rb = "drctl: 1\nkind: failover\nname: reach-become\nvars:\n  op_pw: { env: BECOME_LAB_PW, secret: true }\nsteps:\n  - id: stop\n    on: [h1, h2]\n    run: touch /tmp/never\n  - id: promote\n    on: [h1]\n    become_user: drctl-svc\n    run: touch /tmp/never\n";
    let good = bl
        .drctl(&inv, rb)
        .env("BECOME_LAB_PW", PASSWORD)
        .args(["hosts", "{runbook}", "-i", "{inventory}"])
        .run();
    good.status(0);
    let row = |o: &crate::builder::Outcome, h: &str| {
        o.stdout()
            .lines()
            .find(|l| l.starts_with(h))
            .unwrap_or_else(|| panic!("no row for {h}: {}", o.stdout()))
            .to_string()
    };
    let h1 = row(&good, "h1");
    assert!(
        h1.contains("drctl-op") && h1.contains("root ok, drctl-svc ok"),
        "{h1}"
    );
    assert!(row(&good, "h2").contains("root ok"), "{}", good.stdout());
    assert!(
        !good.stdout().lines().any(|l| l.starts_with("h3")),
        "h3 is in no step"
    );
    let bad = bl
        .drctl(&inv, rb)
        .env("BECOME_LAB_PW", "not-the-password")
        .args(["hosts", "{runbook}", "-i", "{inventory}"])
        .run();
    bad.status(1)
        .stdout_has("BECOME FAILED")
        .stdout_has("h2: sudo to root failed")
        .output_lacks("not-the-password");
    assert!(row(&bad, "h1").ends_with("ok"), "{}", bad.stdout());
}
