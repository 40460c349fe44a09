//! Issue 13's "done means", end to end: an operator's own `~/.ssh/config` (hosts and their
//! bastion) and Ansible INI inventory (hosts by name alone, `ansible_become`), targets the
//! controller cannot reach except through the bastion, a runbook that stops a service as
//! root and promotes as a service account — no glue. `drctl hosts` checks it all the
//! evening before; the run's effects are read on the targets.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::become_lab::lab_users;
use crate::builder::Drctl;
use crate::jump_lab::{JumpLab, netns_available};

const RB: &str = r#"drctl: 1
kind: failover
name: estate
steps:
  - id: stop-primary
    on: dbs
    run: id -un > "{{ out }}/{{ host.name }}.stop"
  - id: promote
    on: db2
    become_user: drctl-svc
    run: id -un > "{{ out }}/{{ host.name }}.promote"
"#;

#[test]
fn ssh_config_ansible_inventory_bastion_and_become_work_together() {
    if !netns_available("ssh_config_ansible_inventory_bastion_and_become_work_together") {
        return;
    }
    lab_users();
    let lab = JumpLab::start(&[("gw", true)], &["db1", "db2"]);
    // The service account writes here too.
    fs::set_permissions(lab.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let out = lab.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o1777)).unwrap();
    let kh = lab.known_hosts("known_hosts", &["gw", "db1", "db2"]);
    let (ga, gp) = lab.reach("gw");
    let (d1, d2) = (lab.host("db1"), lab.host("db2"));
    let home = lab.path().join("home");
    fs::create_dir_all(home.join(".ssh")).unwrap();
    fs::write(
        home.join(".ssh/config"),
        format!(
            "Host db1\n  HostName {}\n  Port {}\nHost db2\n  HostName {}\n  Port {}\nHost db*\n  ProxyJump gw\nHost gw\n  HostName {ga}\n  Port {gp}\nHost *\n  User {}\n  IdentityFile {}\n  UserKnownHostsFile {}\n",
            d1.addr,
            d1.port,
            d2.addr,
            d2.port,
            lab.user,
            lab.key.display(),
            kh.display()
        ),
    )
    .unwrap();
    let inv = lab.path().join("inventory");
    fs::write(&inv, "[dbs]\ndb1\ndb2\n\n[dbs:vars]\nansible_become=true\n").unwrap();
    let drctl = || {
        Drctl::new()
            .dir(lab.path())
            .inventory(&inv)
            .env("HOME", &home)
            .runbook("rb.yaml", RB)
    };
    let check = drctl()
        .args(["hosts", "{runbook}", "-i", "{inventory}", "-e"])
        .arg(format!("out={}", out.display()))
        .run();
    check.status(0);
    for db in ["db1", "db2"] {
        let row = check
            .stdout()
            .lines()
            .find(|l| l.starts_with(db))
            .unwrap_or_else(|| panic!("no row for {db}: {}", check.stdout()));
        assert!(row.contains("gw") && row.contains("root ok"), "{row}");
    }
    assert!(
        check.stdout().contains("drctl-svc ok"),
        "{}",
        check.stdout()
    );
    assert_eq!(fs::read_dir(&out).unwrap().count(), 0, "hosts ran a step");
    let before = lab.connections("gw");
    drctl()
        .args(["failover", "{runbook}", "-i", "{inventory}", "--yes", "-e"])
        .arg(format!("out={}", out.display()))
        .run()
        .status(0);
    let read = |f: &str| fs::read_to_string(out.join(f)).unwrap_or_default();
    assert_eq!(read("db1.stop"), "root\n");
    assert_eq!(read("db2.stop"), "root\n");
    assert_eq!(read("db2.promote"), "drctl-svc\n");
    assert_eq!(
        lab.connections("gw") - before,
        1,
        "one connection to the bastion"
    );
}
