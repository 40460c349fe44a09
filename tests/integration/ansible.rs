//! Issue 13 points 4, 5, 6: Ansible INI and YAML inventories running runbooks on the real
//! sshd lab, inventory variables and `hosts.NAME` in commands (checked on the hosts),
//! `--limit` patterns (which hosts got the file), and a limit that leaves a step empty.

use std::path::PathBuf;

use crate::builder::Drctl;
use crate::lab::Lab;

/// An Ansible INI inventory of the lab: connection settings from `[all:vars]` and host
/// lines, a range for group membership, variables on groups and on one host.
fn ini(lab: &Lab) -> PathBuf {
    let (h1, h2, h3) = (lab.host("h1"), lab.host("h2"), lab.host("h3"));
    let text = format!(
        r#"# the lab, as an operator's Ansible inventory
[all:vars]
ansible_user={user}
ansible_ssh_private_key_file={key}
ansible_ssh_common_args='-o UserKnownHostsFile={kh} -o ConnectTimeout=3'
site=everywhere

[primary]
h1 ansible_host={a1} ansible_port={p1} evil='$(touch "$HOST_DIR/pwned"); echo injected'

[standby]
h2 ansible_host={a2} ansible_port={p2}
h3 ansible_host={a3} ansible_port={p3} role="special one"  # an inline comment

[primary:vars]
role=primary

[standby:vars]
role=standby

[lab:children]
primary
standby

[numbered]
h[1:3]
"#,
        user = lab.user,
        key = lab.key.display(),
        kh = lab.known_hosts.display(),
        a1 = h1.addr,
        p1 = h1.port,
        a2 = h2.addr,
        p2 = h2.port,
        a3 = h3.addr,
        p3 = h3.port,
    );
    let p = lab.path().join("estate");
    std::fs::write(&p, text).unwrap();
    p
}

const MARK: &str = r#"drctl: 1
kind: failover
name: ansible-mark
vars:
  role: runbook-default
steps:
  - id: mark
    on: numbered
    run: echo "{{ host.name }} {{ site }} {{ role }}" > "$HOST_DIR/mark"
  - id: peer
    on: standby
    run: echo "{{ hosts.h1.addr }}:{{ hosts.h1.port }} {{ hosts.h3.vars.role }}" > "$HOST_DIR/peer"
  - id: quoted
    on: primary
    run: echo {{ evil }} > "$HOST_DIR/evil"
"#;

#[test]
fn an_ansible_ini_inventory_runs_a_runbook_with_host_and_group_vars() {
    let lab = Lab::start(3);
    let inv = ini(&lab);
    let rb = lab.runbook("rb.yaml", MARK);
    Drctl::new()
        .dir(lab.path())
        .arg("validate")
        .arg("-i")
        .arg(&inv)
        .arg(&rb)
        .run()
        .status(0);
    let out = Drctl::new()
        .dir(lab.path())
        .arg("failover")
        .arg(&rb)
        .arg("-i")
        .arg(&inv)
        .run();
    out.status(0);
    assert_eq!(lab.read("h1", "mark"), "h1 everywhere primary\n");
    assert_eq!(lab.read("h2", "mark"), "h2 everywhere standby\n");
    assert_eq!(
        lab.read("h3", "mark"),
        "h3 everywhere special one\n",
        "host var beats group var"
    );
    let h1 = lab.host("h1");
    let peer = format!("{}:{} special one\n", h1.addr, h1.port);
    assert_eq!(lab.read("h2", "peer"), peer, "hosts.h1 without a capture");
    assert_eq!(lab.read("h1", "peer"), "", "peer ran on standby only");
    // An inventory value travels as an environment variable: never run as command text.
    assert_eq!(
        lab.read("h1", "evil"),
        "$(touch \"$HOST_DIR/pwned\"); echo injected\n"
    );
    assert!(!lab.host("h1").dir.join("pwned").exists());
    // `-e` beats every inventory variable.
    let out = Drctl::new()
        .dir(lab.path())
        .arg("failover")
        .arg(&rb)
        .arg("-i")
        .arg(&inv)
        .args(["-e", "role=cli", "--force-new"])
        .run();
    out.status(0);
    assert_eq!(lab.read("h3", "mark"), "h3 everywhere cli\n");
}

#[test]
fn an_ansible_yaml_inventory_and_limit_patterns_pick_the_hosts() {
    let lab = Lab::start(3);
    let host = |n: &str| {
        let h = lab.host(n);
        format!(
            "{n}: {{ ansible_host: {}, ansible_port: {} }}",
            h.addr, h.port
        )
    };
    let yaml = format!(
        "all:\n  vars:\n    ansible_user: {}\n    ansible_ssh_private_key_file: {}\n    ansible_ssh_common_args: -o UserKnownHostsFile={}\n  children:\n    dbs:\n      hosts:\n        {}\n        {}\n    web:\n      hosts:\n        {}\n",
        lab.user,
        lab.key.display(),
        lab.known_hosts.display(),
        host("h1"),
        host("h2"),
        host("h3"),
    );
    let inv = lab.path().join("hosts.yml");
    std::fs::write(&inv, yaml).unwrap();
    let rb = lab.runbook(
        "rb.yaml",
        "drctl: 1\nkind: cutover\nname: limits\nsteps:\n  - id: touch\n    on: all\n    run: echo \"$DRCTL_RUN_ID\" >> \"$HOST_DIR/got\"\n",
    );
    let got = |h: &str| lab.lines(h, "got").len();
    let mut runs = 0;
    for (limit, want) in [
        ("h*:!h3", [1, 1, 0]),
        ("dbs,&h2", [0, 1, 0]),
        ("web,h1", [1, 0, 1]),
        ("!dbs", [0, 0, 1]),
    ] {
        let before = [got("h1"), got("h2"), got("h3")];
        Drctl::new()
            .dir(lab.path())
            .arg("cutover")
            .arg(&rb)
            .arg("-i")
            .arg(&inv)
            .args(["--limit", limit, "--force-new"])
            .run()
            .status(0);
        runs += 1;
        let after = [got("h1"), got("h2"), got("h3")];
        let ran: Vec<usize> = (0..3).map(|i| after[i] - before[i]).collect();
        assert_eq!(ran, want, "--limit {limit}");
    }
    assert_eq!(runs, 4);
    // A pattern that names nothing is refused with a hint, before anything runs.
    let out = Drctl::new()
        .dir(lab.path())
        .arg("cutover")
        .arg(&rb)
        .arg("-i")
        .arg(&inv)
        .args(["--limit", "webb"])
        .run();
    out.status(2).stderr_has("`webb` matches no host or group");
    out.stderr_has("web");
}

#[test]
fn a_limit_that_leaves_a_step_without_hosts_is_refused_naming_it() {
    let lab = Lab::start(2);
    let inv = lab.inventory(&[("primary", &["h1"]), ("standby", &["h2"])]);
    let rb = lab.runbook(
        "rb.yaml",
        "drctl: 1\nkind: failover\nname: empty-step\nsteps:\n  - id: fence\n    on: primary\n    run: touch \"$HOST_DIR/fenced\"\n  - id: promote\n    on: standby\n    run: touch \"$HOST_DIR/promoted\"\n",
    );
    let out = Drctl::new()
        .dir(lab.path())
        .arg("failover")
        .arg(&rb)
        .arg("-i")
        .arg(&inv)
        .args(["--limit", "h2"])
        .run();
    out.status(2)
        .stderr_has("--limit h2 leaves no host for step `fence`");
    assert_eq!(lab.read("h1", "fenced") + &lab.read("h2", "promoted"), "");
    assert!(!lab.host("h2").dir.join("promoted").exists(), "nothing ran");
    // plan says it too.
    Drctl::new()
        .dir(lab.path())
        .arg("plan")
        .arg(&rb)
        .arg("-i")
        .arg(&inv)
        .args(["--limit", "standby"])
        .run()
        .status(2)
        .stderr_has("step `fence`");
}

/// Issue 13 points 3 and 4 together: `ansible_become` and `ansible_become_user` from an
/// Ansible INI inventory (on `[all:vars]` and on a host line) make commands run as root and
/// as the service account on real sshd hosts, through real sudo.
#[test]
fn ansible_become_vars_run_commands_as_root_and_the_become_user() {
    let bl = crate::become_lab::BecomeLab::start(2);
    let (h1, h2) = (bl.lab.host("h1"), bl.lab.host("h2"));
    let text = format!(
        "[all:vars]\nansible_user=drctl-op\nansible_ssh_private_key_file={key}\nansible_ssh_common_args=-o UserKnownHostsFile={kh}\nansible_become=yes\n\n[db]\nh1 ansible_host={a1} ansible_port={p1}\nh2 ansible_host={a2} ansible_port={p2} ansible_become_user=drctl-svc\n",
        key = bl.lab.key.display(),
        kh = bl.lab.known_hosts.display(),
        a1 = h1.addr,
        p1 = h1.port,
        a2 = h2.addr,
        p2 = h2.port,
    );
    let inv = bl.lab.path().join("estate.ini");
    std::fs::write(&inv, text).unwrap();
    let rb = format!(
        "drctl: 1\nkind: failover\nname: ansible-become\nsteps:\n  - id: who\n    on: db\n    run: id -un > {}/{{{{ host.name }}}}\n",
        bl.out.display()
    );
    bl.drctl(&inv, &rb)
        .args(["failover", "{runbook}", "-i", "{inventory}"])
        .run()
        .status(0);
    assert_eq!(bl.read("h1"), "root");
    assert_eq!(bl.read("h2"), "drctl-svc");
}

/// An Ansible host line with no `ansible_host` resolves through the operator's
/// `~/.ssh/config` like `ssh NAME` does (its HostName, Port, User and IdentityFile), and a
/// name the config does not know is reached by that name, as Ansible would.
#[test]
fn an_ansible_host_without_ansible_host_resolves_through_the_ssh_config() {
    let lab = Lab::start(1);
    let h1 = lab.host("h1");
    let home = lab.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::write(
        home.join(".ssh/config"),
        format!(
            "Host db-primary\n  HostName {}\n  Port {}\n  User {}\n  IdentityFile {}\n  UserKnownHostsFile {}\n",
            h1.addr,
            h1.port,
            lab.user,
            lab.key.display(),
            lab.known_hosts.display()
        ),
    )
    .unwrap();
    let inv = lab.path().join("hosts.ini");
    std::fs::write(&inv, "[db]\ndb-primary\n").unwrap();
    Drctl::new()
        .dir(lab.path())
        .inventory(&inv)
        .env("HOME", &home)
        .runbook(
            "rb.yaml",
            "drctl: 1\nkind: failover\nname: by-config\nsteps:\n  - id: mark\n    on: db\n    run: echo reached >> \"$HOST_DIR/mark\"\n",
        )
        .args(["failover", "{runbook}", "-i", "{inventory}"])
        .run()
        .status(0);
    assert_eq!(lab.read("h1", "mark"), "reached\n");
}
