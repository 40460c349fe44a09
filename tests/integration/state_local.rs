//! Run state on the controller (host `local`, fast): private permissions, a stale lock
//! taken over, resume refusing a changed runbook unless told, rollback on demand.


use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::lab::drctl;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn rb(dir: &Path, extra: &str) -> std::path::PathBuf {
    let p = dir.join("rb.yaml");
    let out = dir.join("out");
    std::fs::write(
        &p,
        format!(
            "drctl: 1\nkind: migration\nname: st\nsteps:\n  - id: a\n    on: local\n    run: echo a >> {o}\n    rollback: echo undo-a >> {o}\n  - id: b\n    on: local\n    run: echo b >> {o}{extra}\n    rollback: echo undo-b >> {o}\n",
            o = out.display()
        ),
    )
    .unwrap();
    p
}

fn only_run(st: &Path) -> String {
    let mut d = std::fs::read_dir(st.join("runs")).unwrap().flatten();
    let id = d.next().unwrap().file_name().to_string_lossy().into_owned();
    assert!(d.next().is_none());
    id
}

#[test]
fn state_files_are_private() {
    let td = tempfile::tempdir().unwrap();
    let st = td.path().join("state");
    let out = drctl(&st)
        .arg("run")
        .arg(rb(td.path(), ""))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let run = st.join("runs").join(only_run(&st));
    for d in [st.clone(), st.join("runs"), run.clone(), st.join("locks")] {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
    for f in [
        run.join("journal.jsonl"),
        run.join("runbook.yaml"),
        st.join("audit.jsonl"),
        st.join("audit.head"),
        st.join("locks/st.lock"),
    ] {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

#[test]
fn a_dead_runs_lock_is_taken_over_with_a_message() {
    let td = tempfile::tempdir().unwrap();
    let st = td.path().join("state");
    let p = rb(td.path(), "; sleep 30");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("drctl"))
        .env("DRCTL_STATE_DIR", &st)
        .arg("run")
        .arg(&p)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out_file = td.path().join("out");
    while !std::fs::read_to_string(&out_file)
        .unwrap_or_default()
        .contains('b')
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // While it runs, a second run is refused with the holder's pid.
    let out = drctl(&st).arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("pid {}", child.id())));
    child.kill().unwrap();
    child.wait().unwrap();
    let id = only_run(&st);
    let out = drctl(&st)
        .args(["resume", &id, "--skip", "b"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("taking over the stale lock of run {id}")),
        "{err}"
    );
}

#[test]
fn resume_refuses_a_changed_runbook_unless_allowed_and_shows_the_change() {
    let td = tempfile::tempdir().unwrap();
    let st = td.path().join("state");
    let p = rb(td.path(), "");
    // A run that stopped at a gate (no terminal) is resumable.
    std::fs::write(
        &p,
        std::fs::read_to_string(&p).unwrap().replace(
            "  - id: b\n",
            "  - id: gate\n    approve: go on?\n  - id: b\n",
        ),
    )
    .unwrap();
    let out = drctl(&st).arg("run").arg(&p).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(5),
        "stopped at the gate: no terminal"
    );
    let id = only_run(&st);
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace("echo b >>", "echo B >>")).unwrap();
    let out = drctl(&st).args(["resume", &id, "--yes"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("changed since run") && err.contains("step `b`"),
        "{err}"
    );
    let out = drctl(&st)
        .args(["resume", &id, "--yes", "--allow-changed"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("warning: the runbook changed"), "{err}");
    assert_eq!(
        std::fs::read_to_string(td.path().join("out")).unwrap(),
        "a\nB\n"
    );
}

#[test]
fn rollback_on_demand_undoes_a_succeeded_run_newest_first_once() {
    let td = tempfile::tempdir().unwrap();
    let st = td.path().join("state");
    let out = drctl(&st)
        .arg("run")
        .arg(rb(td.path(), ""))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let id = only_run(&st);
    let out = drctl(&st).args(["rollback", &id]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(td.path().join("out")).unwrap(),
        "a\nb\nundo-b\nundo-a\n"
    );
    let out = drctl(&st).args(["rollback", &id]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already ended (rolled-back)"));
    let out = drctl(&st)
        .args(["status", &id, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["steps"][0]["hosts"]["local"], "rolled back");
}

#[test]
fn an_unwritable_report_dir_is_refused_before_anything_runs() {
    let td = tempfile::tempdir().unwrap();
    let st = td.path().join("state");
    let blocker = td.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let out = drctl(&st)
        .arg("run")
        .arg(rb(td.path(), ""))
        .arg("--report-dir")
        .arg(blocker.join("reports"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was executed"));
    assert!(!td.path().join("out").exists(), "a step ran");
    assert!(
        !st.join("runs").exists() || std::fs::read_dir(st.join("runs")).unwrap().next().is_none()
    );
}

#[test]
fn a_run_stopped_at_a_gate_reports_what_it_left_applied() {
    let td = tempfile::tempdir().unwrap();
    let st = td.path().join("state");
    let p = rb(td.path(), "");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "  - id: b\n",
        "  - id: gate\n    approve: go on?\n  - id: b\n",
    );
    std::fs::write(&p, text).unwrap();
    let out = drctl(&st).arg("drill").arg(&p).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(5),
        "stopped at the gate: no terminal: {err}"
    );
    assert!(err.contains("LEFT FOR A HUMAN"), "{err}");
    assert!(err.contains("step `a` is still applied on local"), "{err}");
}
