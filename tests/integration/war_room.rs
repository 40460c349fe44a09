//! The war room (issue 15): a run waiting at a gate with `--gate-wait` and no terminal is
//! approved or declined by a second `drctl` process from another "terminal" (same state),
//! four-eyes gates count distinct persons, an expired wait stops with exit 5 like today.
//! Real sshd hosts; effects checked in the hosts' files, the journal, the audit chain and
//! the reports. The operator identity is the one drctl takes everywhere: `USER` (else
//! `LOGNAME`), and `SUDO_USER` for the person behind sudo.

use std::time::{Duration, Instant};

use crate::builder::{Drctl, Running, Sandbox};

fn runbook(approvers: u32) -> String {
    let gate = if approvers > 1 {
        format!("approve: {{message: 'Promote h1?', approvers: {approvers}}}")
    } else {
        "approve: Promote h1?".to_string()
    };
    format!(
        r#"drctl: 1
kind: failover
name: warroom
steps:
  - id: fence
    on: h1
    run: echo fenced >> "$HOST_DIR/log"
    rollback: echo unfenced >> "$HOST_DIR/log"
  - id: go
    {gate}
  - id: promote
    on: h1
    run: echo promoted >> "$HOST_DIR/log"
"#
    )
}

/// Wait (at most 20 s) until the state holds one run whose journal contains `what`.
fn wait_journal(sb: &Sandbox, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ids = sb.run_ids();
        if ids.len() == 1 {
            let j = sb.state().join("runs").join(&ids[0]).join("journal.jsonl");
            if std::fs::read_to_string(j).is_ok_and(|t| t.contains(what)) {
                return ids[0].clone();
            }
        }
        assert!(Instant::now() < deadline, "no journal with {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The run, started in the background with no terminal, waiting at gate `go`.
fn waiting(approvers: u32, wait: &str) -> (Running, String) {
    let run = Drctl::new()
        .hosts(1)
        .runbook("rb.yaml", &runbook(approvers))
        .args([
            "failover",
            "{runbook}",
            "-i",
            "{inventory}",
            "--gate-wait",
            wait,
        ])
        .args(["--report-dir", "{dir}/reports"])
        .env("USER", "operator")
        .spawn();
    let id = wait_journal(run.sandbox(), "\"gate_wait\"");
    (run, id)
}

/// `drctl approve|decline RUN go` as `user` (SUDO_USER: `sudo`), from another process.
fn answer(sb: &Sandbox, verb: &str, run_id: &str, user: &str, sudo: &str) -> Drctl {
    sb.drctl()
        .args([verb, run_id, "go"])
        .env("USER", user)
        .env("LOGNAME", user)
        .env("SUDO_USER", sudo)
}

#[test]
fn a_gate_approved_from_another_terminal_lets_the_run_go_on() {
    let (run, id) = waiting(1, "30s");
    let sb = run.sandbox().clone();
    assert_eq!(
        sb.lab().lines("h1", "log"),
        ["fenced"],
        "promoted before approval"
    );
    let t0 = Instant::now();
    answer(&sb, "approve", &id, "lead", "")
        .args(["--reason", "replica caught up"])
        .run()
        .status(0)
        .stdout_has("the run goes on");
    let out = run.wait();
    out.status(0)
        // Waiting is not a verdict: the console said so only once the gate was approved.
        .stderr_has("waiting for approval")
        .output_lacks("NOT approved");
    assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());
    assert_eq!(sb.lab().lines("h1", "log"), ["fenced", "promoted"]);
    let journal = sb.journal();
    assert!(journal.contains("\"ev\":\"answer\""), "{journal}");
    assert!(journal.contains("\"user\":\"lead\""), "{journal}");
    assert!(journal.contains("replica caught up"), "{journal}");
    assert!(
        journal.contains("\"approved_by\":\"lead on "),
        "Gate record names the approver: {journal}"
    );
    // The audit chain says who approved, and still verifies.
    let audit = std::fs::read_to_string(sb.state().join("audit.jsonl")).unwrap();
    assert!(
        audit
            .lines()
            .any(|l| l.contains("\"gate-approve\"") && l.contains("\"who\":\"lead on ")),
        "{audit}"
    );
    sb.drctl()
        .args(["audit", "verify"])
        .run()
        .status(0)
        .stdout_has("intact");
    // The reports name the approver, where from and why.
    let md = std::fs::read_to_string(sb.path("reports/drctl-warroom.md")).unwrap();
    assert!(md.contains("`drctl approve` of `go` by lead"), "{md}");
    assert!(md.contains("replica caught up"), "{md}");
    let json = std::fs::read_to_string(sb.path("reports/drctl-warroom.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["answers"][0]["user"], "lead");
    assert_eq!(v["answers"][0]["verdict"], "approve");
    let html = std::fs::read_to_string(sb.path("reports/drctl-warroom.html")).unwrap();
    assert!(html.contains("id=\"answers\"") && html.contains("replica caught up"));
    // The gate is past: approving it again is refused.
    answer(&sb, "approve", &id, "lead", "")
        .run()
        .status(4)
        .stderr_has("not waiting at gate `go`");
}

#[test]
fn a_gate_declined_from_another_terminal_rolls_the_run_back() {
    let (run, id) = waiting(1, "30s");
    let sb = run.sandbox().clone();
    answer(&sb, "decline", &id, "lead", "")
        .run()
        .status(2)
        .stderr_has("--reason");
    answer(&sb, "decline", &id, "lead", "")
        .args(["--reason", "replica lag 40s"])
        .run()
        .status(0)
        .stdout_has("declined gate `go`");
    let out = run.wait();
    out.status(1).stderr_has("declined by lead on");
    assert_eq!(sb.lab().lines("h1", "log"), ["fenced", "unfenced"]);
    let journal = sb.journal();
    assert!(journal.contains("\"verdict\":\"decline\""), "{journal}");
    assert!(journal.contains("replica lag 40s"), "{journal}");
    let md = std::fs::read_to_string(sb.path("reports/drctl-warroom.md")).unwrap();
    assert!(md.contains("`drctl decline` of `go` by lead"), "{md}");
    sb.drctl().args(["audit", "verify"]).run().status(0);
}

#[test]
fn four_eyes_needs_two_distinct_persons() {
    let (run, id) = waiting(2, "30s");
    let sb = run.sandbox().clone();
    answer(&sb, "approve", &id, "alice", "")
        .run()
        .status(0)
        .stdout_has("1 of 2 distinct approvers");
    // The same person again, plainly or through sudo, does not count.
    answer(&sb, "approve", &id, "alice", "")
        .run()
        .status(4)
        .stderr_has("the same person twice counts once");
    answer(&sb, "approve", &id, "root", "alice")
        .run()
        .status(4)
        .stderr_has("alice already approved");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        sb.lab().lines("h1", "log"),
        ["fenced"],
        "one person passed a four-eyes gate"
    );
    answer(&sb, "approve", &id, "root", "bob")
        .run()
        .status(0)
        .stdout_has("the run goes on");
    run.wait().status(0);
    assert_eq!(sb.lab().lines("h1", "log"), ["fenced", "promoted"]);
    let journal = sb.journal();
    assert!(journal.contains("\"sudo_user\":\"bob\""), "{journal}");
    assert!(journal.contains("\"approvers\":2"), "{journal}");
}

#[test]
fn an_expired_gate_wait_stops_with_exit_5_and_resumes() {
    let (run, id) = waiting(1, "1s");
    let sb = run.sandbox().clone();
    let out = run.wait();
    out.status(5).stderr_has("no answer within --gate-wait 1s");
    answer(&sb, "approve", &id, "lead", "")
        .run()
        .status(4)
        .stderr_has("not running");
    sb.drctl()
        .args(["approve", "no-such-run", "go"])
        .run()
        .status(2);
    assert_eq!(sb.lab().lines("h1", "log"), ["fenced"]);
    sb.drctl()
        .args(["resume", &id, "--approve", "go"])
        .run()
        .status(0);
    assert_eq!(sb.lab().lines("h1", "log"), ["fenced", "promoted"]);
}

#[test]
fn approving_a_gate_the_run_is_not_at_is_refused() {
    let (run, id) = waiting(1, "30s");
    let sb = run.sandbox().clone();
    sb.drctl()
        .args(["approve", &id, "promote"])
        .run()
        .status(4)
        .stderr_has("has not reached that gate");
    answer(&sb, "approve", &id, "lead", "").run().status(0);
    run.wait().status(0);
}

#[test]
fn watch_follows_a_live_run_to_its_end_and_exits_with_its_code() {
    let run = Drctl::new()
        .hosts(1)
        .runbook(
            "rb.yaml",
            r#"drctl: 1
kind: failover
name: watched
objectives: { rto: 5m }
steps:
  - id: fence
    on: h1
    run: sleep 1.5; echo fenced >> "$HOST_DIR/log"
    rollback: echo unfenced >> "$HOST_DIR/log"
  - id: promote
    on: h1
    run: "echo 'pg_ctl: disk full on /data' >&2; exit 3"
"#,
        )
        .args(["failover", "{runbook}", "-i", "{inventory}"])
        .spawn();
    let sb = run.sandbox().clone();
    let id = wait_journal(&sb, "\"started\"");
    // Started while the first step runs: it must follow the run, not just replay it.
    let watch = sb.drctl().args(["watch", &id]).spawn();
    let out = run.wait();
    out.status(1);
    assert_eq!(sb.lab().lines("h1", "log"), ["fenced", "unfenced"]);
    let w = watch.wait();
    w.status(1);
    for want in [
        &format!("watching run {id}"),
        "step `fence` started on h1",
        "/ RTO 5m00s]",
        "step `promote` on h1: FAILED (exit 3",
        "h1 stderr: pg_ctl: disk full on /data",
        "ROLLBACK started",
        "rollback of `fence` on h1: ok",
        "run ended: rolled-back (exit 1)",
    ] {
        w.stdout_has(want);
    }
    // A run that already ended: its story and summary at once, with its exit code.
    let again = sb.drctl().args(["watch"]).run();
    again
        .status(1)
        .stdout_has("run ended: rolled-back (exit 1)");
}

#[test]
fn watch_shows_a_gate_waiting_for_approval() {
    let (run, id) = waiting(1, "30s");
    let sb = run.sandbox().clone();
    let watch = sb.drctl().args(["watch", &id]).spawn();
    std::thread::sleep(Duration::from_millis(800));
    answer(&sb, "approve", &id, "lead", "").run().status(0);
    run.wait().status(0);
    let w = watch.wait();
    w.status(0)
        .stdout_has("WAITING at gate `go` (1 approver(s) needed, until ")
        .stdout_has("gate `go`: approve by lead on ")
        .stdout_has("run ended: succeeded (exit 0)");
}

#[test]
fn with_a_terminal_prompt_open_an_answer_from_another_terminal_wins() {
    // A real pseudo-terminal (util-linux `script`) whose input never ends: the prompt
    // stays open until the gate is answered from elsewhere.
    let run = Drctl::new()
        .hosts(1)
        .runbook("rb.yaml", &runbook(1))
        .shell(
            "mkfifo \"{dir}/tty-in\" && exec script -qfec \"drctl failover {runbook} -i {inventory} --no-progress\" /dev/null 0<>\"{dir}/tty-in\"",
        )
        .env("USER", "operator")
        .spawn();
    let sb = run.sandbox().clone();
    let id = wait_journal(&sb, "\"gate_wait\"");
    answer(&sb, "approve", &id, "lead", "")
        .run()
        .status(0)
        .stdout_has("the run goes on");
    let out = run.wait();
    out.status(0)
        .stdout_has("APPROVAL NEEDED [go]")
        .stdout_has("(answered from another terminal)");
    assert_eq!(sb.lab().lines("h1", "log"), ["fenced", "promoted"]);
    assert!(sb.journal().contains("\"approved_by\":\"lead on "));
}

#[test]
fn watch_on_a_terminal_draws_the_view() {
    let (run, id) = waiting(1, "30s");
    let sb = run.sandbox().clone();
    let watch = sb
        .drctl()
        .shell(&format!(
            "exec script -qfec \"drctl watch {id}\" /dev/null < /dev/null"
        ))
        .spawn();
    std::thread::sleep(Duration::from_millis(800));
    answer(&sb, "approve", &id, "lead", "").run().status(0);
    run.wait().status(0);
    let w = watch.wait();
    w.status(0)
        .stdout_has("\x1b[2J")
        .stdout_has(&format!("drctl watch: {id} (failover `warroom`, run)"))
        .stdout_has("phase: -   step: `go` go (waiting for approval)")
        .stdout_has("WAITING at gate `go`")
        .stdout_has("waiting for approval")
        .stdout_has(": succeeded (exit 0)");
}
