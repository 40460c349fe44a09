//! Issue 13, point 3: `become` — commands, transfers and timeouts as another account
//! through real sudo, on real sshd hosts logged into as unprivileged lab users (see
//! `become_lab`), and what `validate` refuses.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::become_lab::{BecomeLab, PASSWORD, all_text, owner, sh, uid};
use crate::builder::{Drctl, Outcome};

#[test]
fn commands_and_transfers_run_as_root_or_the_step_s_become_user() {
    let bl = BecomeLab::start(3);
    fs::write(bl.lab.path().join("payload.txt"), "payload\n").unwrap();
    fs::write(bl.rootonly.join("secret.txt"), "root's file\n").unwrap();
    fs::set_permissions(
        bl.rootonly.join("secret.txt"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    // h1: the long-lived shell; h2: a channel per command; h3: su from a root login.
    let inv = bl.inventory(
        "  user: drctl-op\n  become: true\n",
        &[
            ("h1", "exec_mode: shell"),
            ("h2", "exec_mode: channel"),
            ("h3", "user: root, become_method: su"),
        ],
    );
    let (out, root) = (bl.out.display(), bl.rootonly.display());
    let rb = format!(
        r#"drctl: 1
kind: failover
name: become-lab
steps:
  - id: as-root
    on: [h1, h2, h3]
    run: id -un > {out}/{{{{ host.name }}}}.root
  - id: as-svc
    on: [h1, h2, h3]
    become_user: drctl-svc
    run: id -un > {out}/{{{{ host.name }}}}.svc; pwd > {out}/{{{{ host.name }}}}.svc-pwd
  - id: as-login
    on: [h1, h2, h3]
    become: false
    run: id -un > {out}/{{{{ host.name }}}}.login
  - id: root-again
    on: [h1, h2, h3]
    run: id -un > {out}/{{{{ host.name }}}}.root2
  - id: up-svc
    on: [h1, h2, h3]
    become_user: drctl-svc
    upload: {{ src: payload.txt, dest: "{out}/{{{{ host.name }}}}.up-svc" }}
  - id: up-root
    on: [h1, h2, h3]
    upload: {{ src: payload.txt, dest: "{root}/{{{{ host.name }}}}.up-root", mode: "0600" }}
  - id: down-root
    on: [h1, h2, h3]
    download: {{ src: "{root}/secret.txt", dest: "back-{{{{ host.name }}}}.txt" }}
"#
    );
    bl.drctl(&inv, &rb)
        .args([
            "failover",
            "{runbook}",
            "-i",
            "{inventory}",
            "--no-progress",
        ])
        .run()
        .status(0);
    for (h, login) in [("h1", "drctl-op"), ("h2", "drctl-op"), ("h3", "root")] {
        assert_eq!(bl.read(&format!("{h}.root")), "root", "{h}");
        assert_eq!(bl.read(&format!("{h}.svc")), "drctl-svc", "{h}");
        assert_eq!(
            bl.read(&format!("{h}.svc-pwd")),
            "/",
            "{h}: svc has no home"
        );
        assert_eq!(bl.read(&format!("{h}.login")), login, "{h}");
        assert_eq!(bl.read(&format!("{h}.root2")), "root", "{h}");
        let up = bl.out.join(format!("{h}.up-svc"));
        assert_eq!(owner(&up), uid("drctl-svc"), "{h}: uploaded as drctl-svc");
        assert_eq!(fs::read_to_string(&up).unwrap(), "payload\n");
        let up_root = bl.rootonly.join(format!("{h}.up-root"));
        assert_eq!(owner(&up_root), 0, "{h}");
        assert_eq!(
            fs::metadata(&up_root).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::read_to_string(bl.lab.path().join(format!("back-{h}.txt"))).unwrap(),
            "root's file\n",
            "{h}: downloaded from a folder only root can read"
        );
    }
}

#[test]
fn a_sudo_password_works_and_appears_nowhere() {
    let bl = BecomeLab::start(1);
    let inv = bl.inventory(
        "  user: drctl-op2\n  become: true\n  become_password: \"{{ op_pw }}\"\n",
        &[("h1", "exec_mode: shell")],
    );
    let out = bl.out.display();
    let rb = format!(
        r#"drctl: 1
kind: failover
name: become-pw
vars:
  op_pw: {{ env: BECOME_LAB_PW, secret: true }}
steps:
  - id: as-root
    on: h1
    run: id -un > {out}/root; echo "as $(id -un)"
  - id: slow-as-svc
    on: h1
    become_user: drctl-svc
    run: id -un > {out}/svc; touch {out}/slow-started; sleep 3
  - id: up
    on: h1
    upload: {{ src: rb.yaml, dest: "{out}/up" }}
"#
    );
    let running = bl
        .drctl(&inv, &rb)
        .env("BECOME_LAB_PW", PASSWORD)
        .args([
            "failover",
            "{runbook}",
            "-i",
            "{inventory}",
            "--no-progress",
        ])
        .spawn();
    // While a become'd step runs: no process shows the password.
    let until = Instant::now() + Duration::from_secs(30);
    while !bl.out.join("slow-started").exists() {
        assert!(Instant::now() < until, "the slow step never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let ps = sh("ps -eo pid,user,args");
    assert!(!ps.contains(PASSWORD), "the password is in ps:\n{ps}");
    assert!(
        ps.contains("sudo -S -p [drctl-become-password:"),
        "sudo should be running with -S: {ps}"
    );
    let outcome: Outcome = running.wait();
    outcome.status(0).output_lacks(PASSWORD);
    assert_eq!(bl.read("root"), "root");
    assert_eq!(bl.read("svc"), "drctl-svc");
    assert_eq!(owner(&bl.out.join("up")), 0);
    // Nor anything drctl keeps or reports.
    let mut kept = String::new();
    all_text(&bl.lab.path().join("state"), &mut kept);
    assert!(
        kept.contains("as root"),
        "the state holds the step's output"
    );
    for format in ["md", "json", "html", "junit"] {
        let r = outcome.drctl().args(["report", "--format", format]).run();
        kept.push_str(r.stdout());
        kept.push_str(r.stderr());
    }
    let audit = outcome.drctl().args(["audit", "verify"]).run();
    kept.push_str(&audit.output());
    assert!(!kept.contains(PASSWORD), "the password is kept or reported");
}

#[test]
fn a_wrong_or_missing_password_fails_that_host_at_once() {
    let bl = BecomeLab::start(3);
    let inv = bl.inventory(
        "  become: true\n",
        &[
            ("h1", "user: drctl-op"),
            ("h2", "user: drctl-op2, become_password: \"{{ op_pw }}\""),
            ("h3", "user: drctl-op2"),
        ],
    );
    let out = bl.out.display();
    let rb = format!(
        r#"drctl: 1
kind: failover
name: become-wrong
vars:
  op_pw: {{ env: BECOME_LAB_PW, secret: true }}
steps:
  - id: stop
    on: [h1, h2, h3]
    on_failure: continue
    run: id -un > {out}/{{{{ host.name }}}}
"#
    );
    let t0 = Instant::now();
    let o = bl
        .drctl(&inv, &rb)
        .env("BECOME_LAB_PW", "not-the-password")
        .args([
            "failover",
            "{runbook}",
            "-i",
            "{inventory}",
            "--no-progress",
        ])
        .run();
    let took = t0.elapsed();
    eprintln!("wrong and missing become_password: the run ended after {took:?}");
    o.status_not(0)
        .output_has("wrong become_password")
        .output_has("no `become_password`")
        .output_lacks("not-the-password");
    assert!(
        took < Duration::from_secs(15),
        "took {took:?}: a prompt hung"
    );
    assert_eq!(bl.read("h1"), "root", "the host without a problem ran");
    assert_eq!(bl.read("h2"), "", "nothing ran on h2");
    assert_eq!(bl.read("h3"), "", "nothing ran on h3");
    // No sudo is left waiting for a password: the hosts' sshd have no sessions left.
    for h in ["h2", "h3"] {
        let sshd = bl.lab.host(h).child.as_ref().unwrap().id();
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            let left = Command::new("pgrep")
                .arg("-P")
                .arg(sshd.to_string())
                .output()
                .unwrap();
            if left.stdout.is_empty() {
                break;
            }
            assert!(
                Instant::now() < until,
                "{h}: sessions left: {}",
                sh(&format!(
                    "ps -o pid,user,args --ppid {sshd}; ps -eo pid,ppid,user,args | grep sudo"
                ))
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn a_hung_become_command_is_killed_on_timeout() {
    let bl = BecomeLab::start(3);
    let inv = bl.inventory(
        "  become: true\n",
        &[
            ("h1", "user: drctl-op"),
            (
                "h2",
                "user: drctl-op2, exec_mode: channel, become_password: \"{{ op_pw }}\"",
            ),
            ("h3", "user: root, become_method: su"),
        ],
    );
    let out = bl.out.display();
    // Unique arguments, so the processes can be found on the host.
    let tag = std::process::id() % 1000 + 7000;
    let rb = format!(
        r#"drctl: 1
kind: failover
name: become-hang
vars:
  op_pw: {{ env: BECOME_LAB_PW, secret: true }}
steps:
  - id: hang-root
    on: [h1, h2, h3]
    on_failure: continue
    timeout: 2s
    run: id -un > {out}/{{{{ host.name }}}}.root; sleep {tag}1
  - id: hang-svc
    on: [h1, h2, h3]
    on_failure: continue
    become_user: drctl-svc
    timeout: 2s
    run: id -un > {out}/{{{{ host.name }}}}.svc; sleep {tag}2
  - id: hang-login
    on: [h1, h2, h3]
    on_failure: continue
    become: false
    timeout: 2s
    run: id -un > {out}/{{{{ host.name }}}}.login; sleep {tag}3
"#
    );
    let t0 = Instant::now();
    bl.drctl(&inv, &rb)
        .env("BECOME_LAB_PW", PASSWORD)
        .args([
            "failover",
            "{runbook}",
            "-i",
            "{inventory}",
            "--no-progress",
        ])
        .run()
        .status_not(0)
        .output_has("timed out");
    assert!(t0.elapsed() < Duration::from_secs(30));
    for (h, login) in [("h1", "drctl-op"), ("h2", "drctl-op2"), ("h3", "root")] {
        assert_eq!(bl.read(&format!("{h}.root")), "root", "{h}");
        assert_eq!(bl.read(&format!("{h}.svc")), "drctl-svc", "{h}");
        // The login shell is dash (`/bin/sh`): no job control, no process group.
        assert_eq!(bl.read(&format!("{h}.login")), login, "{h}");
    }
    // TERM at once, KILL 2 s later: within a few seconds nothing of them is left.
    let until = Instant::now() + Duration::from_secs(8);
    loop {
        let ps = sh("ps -eo user,args");
        let left: Vec<&str> = ps
            .lines()
            .filter(|l| l.contains(&format!("sleep {tag}")))
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < until,
            "still running on the host: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn validate_refuses_become_on_local_a_literal_password_and_a_non_secret_one() {
    let inv = "defaults: { become: true }\nhosts:\n  db1: { addr: 192.0.2.1, become_password: \"{{ plain }}\" }\n  db2: { addr: 192.0.2.2, become_password: hunter2-literal }\n  db3: { addr: 192.0.2.3, become_method: su, become_password: \"{{ pw }}\" }\n";
    let rb = "drctl: 1\nkind: failover\nname: v\nvars:\n  plain: x\n  pw: { env: PW, secret: true }\nsteps:\n  - id: here\n    on: local\n    become_user: postgres\n    run: pg_ctl promote\n  - id: there\n    on: [db1, db3]\n    run: systemctl stop postgresql\n    rollback: systemctl start postgresql\n";
    let o = Drctl::new()
        .file("inv.yaml", inv)
        .runbook("rb.yaml", rb)
        .args(["validate", "{runbook}", "-i", "{dir}/inv.yaml"])
        .run();
    o.status_not(0)
        .output_has("become-on-local")
        .output_has("rb.yaml:10:18")
        .output_has("literal-secret")
        .output_has("inv.yaml:3:")
        .output_lacks("hunter2-literal")
        .output_has("inv.yaml:3:45")
        .output_has("`plain`, which is not `secret: true`")
        .output_has("su-password");
}

#[test]
fn plan_shows_whom_each_step_runs_as() {
    let inv = "defaults: { become: true }\nhosts:\n  db1: { addr: 192.0.2.1 }\n";
    let rb = "drctl: 1\nkind: failover\nname: p\nsteps:\n  - id: stop\n    on: db1\n    run: systemctl stop postgresql\n    rollback: systemctl start postgresql\n  - id: promote\n    on: db1\n    become_user: postgres\n    run: pg_ctl promote\n  - id: who\n    on: db1\n    become: false\n    run: id -un\n";
    Drctl::new()
        .file("inv.yaml", inv)
        .runbook("rb.yaml", rb)
        .args(["plan", "{runbook}", "-i", "{dir}/inv.yaml"])
        .run()
        .status(0)
        .stdout_has("db1 as root (sudo): systemctl stop postgresql")
        .stdout_has("db1 as postgres (sudo): pg_ctl promote")
        .stdout_has("db1: id -un");
}
