//! `drctl state migrate --from DIR --to etcd://…` against a real 3-member etcd cluster:
//! finished runs and the audit chain are copied so `runs`, `status`, `report` and
//! `audit verify` answer the same from etcd as from the directory; a live (locked) run is
//! refused until it has ended; running the migration again copies only what is new; a
//! directory whose audit chain differs from the one in etcd is refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::builder::bin;
use crate::state_etcd::{Cluster, drctl, out};

/// drctl on the local state directory `dir/state` (no etcd).
fn local(dir: &Path) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(dir)
        .env_remove("DRCTL_STATE")
        .env("DRCTL_STATE_DIR", dir.join("state"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

fn runbook(dir: &Path, name: &str, run: &str) -> PathBuf {
    let p = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &p,
        format!(
            "drctl: 1\nkind: failover\nname: {name}\ndescription: migrate\nseverity: P2\nsteps:\n  - id: one\n    on: local\n    run: echo one\n    rollback: echo undo\n  - id: two\n    on: local\n    run: {run}\n"
        ),
    )
    .unwrap();
    p
}

fn json(mut c: Command) -> serde_json::Value {
    let o = c.output().unwrap();
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(&o)))
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_string())
        .collect()
}

fn verify_count(mut c: Command) -> String {
    let o = c.args(["audit", "verify"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let s = String::from_utf8_lossy(&o.stdout).into_owned();
    s[s.find("intact").expect("intact")..].trim().to_string()
}

#[test]
fn state_migrate_copies_runs_and_the_audit_chain_and_refuses_a_live_run() {
    let Some(c) = Cluster::start() else { return };
    let td = tempfile::tempdir().unwrap();
    let d = td.path();
    for (name, run) in [("mig-ok", "echo two"), ("mig-fail", "exit 7")] {
        let o = local(d)
            .args(["run", "--yes"])
            .arg(runbook(d, name, run))
            .output()
            .unwrap();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", out(&o));
    }
    // A live run: holds its lock until the test lets it go on.
    let gate = d.join("go");
    let live = runbook(
        d,
        "mig-live",
        &format!("while [ ! -f {} ]; do sleep 0.05; done", gate.display()),
    );
    let child = local(d)
        .args(["run", "--yes"])
        .arg(&live)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    while ids(&json({
        let mut l = local(d);
        l.args(["runs", "--format", "json"]);
        l
    }))
    .len()
        < 3
    {
        assert!(Instant::now() < until, "live run never listed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let migrate = || {
        let mut m = drctl(&c, d);
        m.env_remove("DRCTL_STATE")
            .args(["state", "migrate", "--from"])
            .arg(d.join("state"))
            .args(["--to", &c.url]);
        m.output().unwrap()
    };
    let o = migrate();
    assert_eq!(o.status.code(), Some(4), "live run refused: {}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("mig-live") && err.contains("the run is live"),
        "{}",
        out(&o)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .matches(": copied")
            .count(),
        2,
        "{}",
        out(&o)
    );
    // The live run ends; migrating again copies it and only it.
    std::fs::write(&gate, "").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let o = migrate();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.matches(": copied").count(), 1, "{text}");
    assert_eq!(text.matches("left as it is").count(), 2, "{text}");
    // Everything reads the same from etcd as from the directory.
    let mut lr = local(d);
    lr.args(["runs", "--format", "json"]);
    let mut er = drctl(&c, d);
    er.args(["runs", "--format", "json"]);
    let (lruns, eruns) = (json(lr), json(er));
    assert_eq!(ids(&lruns), ids(&eruns), "same runs, same order");
    assert_eq!(lruns, eruns);
    for id in ids(&lruns) {
        for args in [
            &["status", "--format", "json"][..],
            &["report", "--format", "json"],
        ] {
            let mut l = local(d);
            l.args(args).arg(&id);
            let mut e = drctl(&c, d);
            e.args(args).arg(&id);
            assert_eq!(json(l), json(e), "{args:?} {id}");
        }
        let md = |mut c: Command| {
            let o = c.args(["report"]).arg(&id).output().unwrap();
            String::from_utf8_lossy(&o.stdout).into_owned()
        };
        assert_eq!(md(local(d)), md(drctl(&c, d)), "markdown report {id}");
    }
    assert_eq!(verify_count(local(d)), verify_count(drctl(&c, d)));
    // Once more: nothing new, nothing refused.
    let o = migrate();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("audit: 0 entries copied"),
        "{}",
        out(&o)
    );
    // New runs on etcd extend its chain; the directory's chain stays a prefix of it.
    let o = drctl(&c, d)
        .args(["run", "--yes"])
        .arg(runbook(d, "mig-after", "echo two"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(migrate().status.code(), Some(0));
    // Another directory with a chain of its own cannot be merged into this one: nothing
    // of it is copied.
    let other = tempfile::tempdir().unwrap();
    let o = local(other.path())
        .args(["run", "--yes"])
        .arg(runbook(other.path(), "mig-other", "echo two"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = drctl(&c, d)
        .env_remove("DRCTL_STATE")
        .args(["state", "migrate", "--from"])
        .arg(other.path().join("state"))
        .args(["--to", &c.url])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("different audit chain"),
        "{}",
        out(&o)
    );
    let o = drctl(&c, d).args(["runs"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("mig-other"),
        "{}",
        out(&o)
    );
    let o = drctl(&c, d).args(["audit", "verify"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}
