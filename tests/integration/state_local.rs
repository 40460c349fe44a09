//! Run state on the controller (host `local`, fast): private permissions, a stale lock
//! taken over, resume refusing a changed runbook unless told, rollback on demand.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::builder::Drctl;
use crate::lab::wait_for;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// drctl with `{runbook}`: a migration `st` of two local steps, a and b, each appending its
/// name (and its rollback `undo-NAME`) to `{dir}/out`; `extra` ends b's command.
fn rb(extra: &str) -> Drctl {
    let d = Drctl::new();
    let o = d.sandbox().path("out");
    let text = format!(
        "drctl: 1\nkind: migration\nname: st\nsteps:\n  - id: a\n    on: local\n    run: echo a >> {o}\n    rollback: echo undo-a >> {o}\n  - id: b\n    on: local\n    run: echo b >> {o}{extra}\n    rollback: echo undo-b >> {o}\n",
        o = o.display()
    );
    d.runbook("rb.yaml", &text)
}

/// The same, with an approval gate before b.
fn rb_with_gate() -> Drctl {
    let d = rb("");
    let p = d.sandbox().path("rb.yaml");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "  - id: b\n",
        "  - id: gate\n    approve: go on?\n  - id: b\n",
    );
    d.runbook("rb.yaml", &text)
}

#[test]
fn state_files_are_private() {
    let out = rb("").args(["run", "{runbook}"]).run();
    out.status(0);
    let st = out.sandbox().state();
    let run = out.sandbox().run_dir();
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
    let first = rb("; sleep 30").args(["run", "{runbook}"]).spawn();
    let sb = first.sandbox().clone();
    wait_for(&sb.path("out"), "b");
    // While it runs, a second run is refused with the holder's pid.
    sb.drctl()
        .args(["run", "{runbook}"])
        .run()
        .status(4)
        .stderr_has(&format!("pid {}", first.pid()));
    first.kill();
    let id = sb.run_id();
    sb.drctl()
        .args(["resume", &id, "--skip", "b"])
        .run()
        .status(0)
        .stderr_has(&format!("taking over the stale lock of run {id}"));
}

#[test]
fn resume_refuses_a_changed_runbook_unless_allowed_and_shows_the_change() {
    // A run that stopped at a gate (no terminal) is resumable.
    let out = rb_with_gate().args(["run", "{runbook}"]).run();
    out.status(5);
    let sb = out.sandbox();
    let id = sb.run_id();
    let p = sb.path("rb.yaml");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace("echo b >>", "echo B >>")).unwrap();
    sb.drctl()
        .args(["resume", &id, "--yes"])
        .run()
        .status(2)
        .stderr_has("changed since run")
        .stderr_has("step `b`");
    sb.drctl()
        .args(["resume", &id, "--yes", "--allow-changed"])
        .run()
        .status(0)
        .stderr_has("warning: the runbook changed");
    assert_eq!(std::fs::read_to_string(sb.path("out")).unwrap(), "a\nB\n");
}

#[test]
fn rollback_on_demand_undoes_a_succeeded_run_newest_first_once() {
    let out = rb("").args(["run", "{runbook}"]).run();
    out.status(0);
    let id = out.run_id();
    let rolled = out.drctl().args(["rollback", &id]).run();
    rolled.status(0);
    assert_eq!(
        std::fs::read_to_string(out.sandbox().path("out")).unwrap(),
        "a\nb\nundo-b\nundo-a\n"
    );
    // Issue 11 point 3: the final line, the journal, `runs` and the report say what the
    // process exits with.
    let err = rolled.stderr();
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains("rolled-back-on-request") && last.contains("(exit 0)"),
        "{last}"
    );
    let v = out.drctl().args(["runs", "--format", "json"]).run().json();
    assert_eq!(v[0]["exit"], 0, "{v}");
    assert_eq!(v[0]["outcome"], "rolled-back-on-request", "{v}");
    let prom = out.drctl().args(["report", &id, "--format", "prom"]).run();
    let exit0 = prom
        .stdout()
        .lines()
        .any(|l| l.starts_with("drctl_run_exit_code{") && l.ends_with(" 0"));
    prom.check(exit0, "the Prometheus exit code is 0");
    out.drctl()
        .args(["rollback", &id])
        .run()
        .status(2)
        .stderr_has("already ended (rolled-back-on-request)");
    let v = out
        .drctl()
        .args(["status", &id, "--format", "json"])
        .run()
        .json();
    assert_eq!(v["steps"][0]["hosts"]["local"], "rolled back");
}

#[test]
fn an_unwritable_report_dir_is_refused_before_anything_runs() {
    let out = rb("")
        .file("file", "")
        .args(["run", "{runbook}", "--report-dir", "{dir}/file/reports"])
        .run();
    out.status(2).stderr_has("nothing was executed");
    let sb = out.sandbox();
    assert!(!sb.path("out").exists(), "a step ran");
    assert!(sb.run_ids().is_empty());
}

#[test]
fn a_run_stopped_at_a_gate_reports_what_it_left_applied() {
    rb_with_gate()
        .args(["drill", "{runbook}"])
        .run()
        // Stopped at the gate: no terminal.
        .status(5)
        .stderr_has("LEFT FOR A HUMAN")
        .stderr_has("step `a` is still applied on local");
}
