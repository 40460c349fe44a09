//! Issue 11: what drctl tells the operator is true — a live run is "running", SIGTERM stops
//! like Ctrl-C and says how to resume, an unresolved run is not silently started over, a
//! run that skipped everything says nothing ran. All on the controller (host `local`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn drctl(state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_drctl"));
    c.env("DRCTL_STATE_DIR", state)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

fn runbook(dir: &Path, name: &str, steps: &str) -> PathBuf {
    let p = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &p,
        format!("drctl: 1\nkind: migration\nname: {name}\nsteps:\n{steps}"),
    )
    .unwrap();
    p
}

fn wait_for(path: &Path) {
    let until = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(Instant::now() < until, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn(cmd: &mut Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> (Option<i32>, String, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn only_run(state: &Path) -> String {
    let mut ids: Vec<String> = std::fs::read_dir(state.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids.pop().unwrap()
}

#[test]
fn status_of_a_live_run_says_it_is_running_and_where() {
    let td = tempfile::tempdir().unwrap();
    let st = td.path().join("state");
    let mark = td.path().join("mark");
    let done = td.path().join("done");
    let rb = runbook(
        td.path(),
        "live",
        &format!(
            "  - id: first\n    on: local\n    run: \"true\"\n  - id: slow\n    on: local\n    run: touch {m}; while [ ! -e {d} ]; do sleep 0.05; done\n",
            m = mark.display(),
            d = done.display()
        ),
    );
    let child = spawn(drctl(&st).arg("run").arg(&rb).arg("--no-progress"));
    wait_for(&mark);
    let id = only_run(&st);
    let out = drctl(&st).args(["status", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("running (step `slow`, pid ") && !text.contains("crashed"),
        "{text}"
    );
    let runs = drctl(&st).arg("runs").output().unwrap();
    assert!(String::from_utf8_lossy(&runs.stdout).contains("running (step `slow`"));
    std::fs::write(&done, "").unwrap();
    let (code, _, err) = finish(child);
    assert_eq!(code, Some(0), "{err}");
    let out = drctl(&st).args(["status", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("run {id}: succeeded")), "{text}");
}

#[test]
fn sigterm_stops_like_ctrl_c_and_a_new_run_is_refused_until_it_is_resolved() {
    let td = tempfile::tempdir().unwrap();
    let st = td.path().join("state");
    let mark = td.path().join("mark");
    let log = td.path().join("log");
    let rb = runbook(
        td.path(),
        "term",
        &format!(
            "  - id: a\n    on: local\n    run: touch {m}; sleep 1; echo a >> {l}\n  - id: b\n    on: local\n    run: echo b >> {l}\n",
            m = mark.display(),
            l = log.display()
        ),
    );
    let child = spawn(drctl(&st).arg("run").arg(&rb).arg("--no-progress"));
    wait_for(&mark);
    // systemd's stop: SIGTERM to drctl.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let (code, _, err) = finish(child);
    assert_eq!(code, Some(130), "{err}");
    assert!(
        err.contains("SIGTERM: letting in-flight commands finish"),
        "{err}"
    );
    let id = only_run(&st);
    assert!(err.contains(&format!("drctl resume {id}")), "{err}");
    // The in-flight command finished and was journaled; nothing after it ran.
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "a\n");

    // Starting the runbook over while that run is unresolved is refused, naming it.
    let out = drctl(&st).arg("run").arg(&rb).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains(&format!(
            "previous run of this runbook, {id}, is unresolved (interrupted)"
        )),
        "{err}"
    );
    assert!(err.contains("--force-new"), "{err}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "a\n", "nothing ran");

    // Resume finishes it; then a new run is fine.
    let out = drctl(&st).args(["resume", &id]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "a\nb\n");
    let out = drctl(&st).arg("run").arg(&rb).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn force_new_starts_over_an_unresolved_run_on_purpose() {
    let td = tempfile::tempdir().unwrap();
    let st = td.path().join("state");
    let rb = runbook(
        td.path(),
        "gated",
        "  - id: a\n    on: local\n    run: \"true\"\n  - id: go\n    approve: sure?\n",
    );
    let out = drctl(&st).arg("run").arg(&rb).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "stopped at the gate");
    let out = drctl(&st).arg("run").arg(&rb).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(waiting-approval)"));
    let out = drctl(&st)
        .arg("run")
        .arg(&rb)
        .args(["--force-new", "--yes"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_run_in_which_every_step_was_skipped_says_nothing_ran() {
    let td = tempfile::tempdir().unwrap();
    let st = td.path().join("state");
    let rb = runbook(
        td.path(),
        "skipped",
        "  - id: a\n    on: local\n    when: mode == \"drill\"\n    run: \"true\"\n",
    );
    let out = drctl(&st).arg("run").arg(&rb).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nothing ran"), "{err}");
    assert!(!err.contains("every step succeeded"), "{err}");
}
