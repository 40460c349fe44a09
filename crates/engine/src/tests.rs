//! Engine unit tests on the scripted fake transport: order, rollback, retries, polling,
//! captures, failure policies, drills, gates, resume decisions, masking, concurrency.
//! (The same behaviours against real sshd hosts are in tests/ssh_*.rs.)

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use drctl_core::checkpoint::Checkpoint;
use drctl_core::memory::MemoryLog;
use drctl_core::record::{Header, JOURNAL_VERSION, Loaded, Record};
use drctl_core::store::RunLog;
use drctl_core::time::now_rfc3339;
use drctl_core::{Exit, Phase};
use drctl_model::plan::{PlanOptions, RunMode, resolve};
use drctl_model::runbook::inventory::parse_inventory;
use drctl_model::runbook::parse::parse_runbook;
use drctl_model::runbook::source::SourceFile;
use drctl_transport::fake::FakeConnector;
use drctl_transport::{Output, TransportError};

use crate::approval::{Approver, NoApprover, PresetApprover};
use crate::runner::{Runner, Start};
use crate::{ExecOptions, RunOutcome};

const INV: &str = "hosts:\n  a: { addr: 10.0.0.1 }\n  b: { addr: 10.0.0.2 }\n  c: { addr: 10.0.0.3 }\ngroups:\n  all: [a, b, c]\n";

struct Run {
    outcome: RunOutcome,
    calls: Vec<String>,
    journal: Loaded,
    log: Arc<MemoryLog>,
}

fn loaded(log: &MemoryLog) -> Loaded {
    let records = log.records();
    let Some(Record::Header(header)) = records.first().cloned() else {
        panic!("no header");
    };
    Loaded {
        header,
        records,
        torn_tail: false,
    }
}

fn header(mode: RunMode) -> Header {
    Header {
        version: JOURNAL_VERSION,
        run_id: "t-1".into(),
        runbook: "rb.yaml".into(),
        runbook_sha256: String::new(),
        name: "t".into(),
        kind: "failover".into(),
        mode,
        severity: None,
        started_at: now_rfc3339(),
        user: "tester".into(),
        controller: "here".into(),
        pid: 1,
        inventory: None,
        vars: BTreeMap::new(),
        limit: None,
        rto_ms: None,
    }
}

fn plan(rb: &str, mode: RunMode) -> drctl_model::plan::Plan {
    plan_with_id(rb, mode, "t-1")
}

fn plan_with_id(rb: &str, mode: RunMode, run_id: &str) -> drctl_model::plan::Plan {
    let (rb, diags) = parse_runbook(&SourceFile::new("/t/rb.yaml", rb));
    let rb = rb.unwrap_or_else(|| panic!("{diags:?}"));
    let (inv, diags) = parse_inventory(&SourceFile::new("/t/inv.yaml", INV));
    assert!(diags.is_empty(), "{diags:?}");
    let opts = PlanOptions {
        mode,
        run_id: run_id.into(),
        limit: None,
        extra_vars: BTreeMap::new(),
    };
    let env = |k: &str| (k == "SECRET").then(|| "hunter2".to_string());
    resolve(Arc::new(rb), inv, &opts, &env).expect("plan")
}

fn exec(
    rb: &str,
    mode: RunMode,
    opts: ExecOptions,
    fake: &FakeConnector,
    log: Option<Arc<MemoryLog>>,
) -> Run {
    exec_with(rb, mode, opts, Arc::new(NoApprover), fake, log)
}

fn exec_with(
    rb: &str,
    mode: RunMode,
    opts: ExecOptions,
    approver: Arc<dyn Approver>,
    fake: &FakeConnector,
    log: Option<Arc<MemoryLog>>,
) -> Run {
    let start = if log.is_some() {
        Start::Resumed
    } else {
        Start::New
    };
    let log = log.unwrap_or_else(|| {
        let l = Arc::new(MemoryLog::default());
        l.append(&Record::Header(header(mode))).unwrap();
        l
    });
    let cp = Checkpoint::from_journal(&loaded(&log));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runner = Runner::builder(
        Arc::new(plan(rb, mode)),
        Arc::new(fake.clone()),
        log.clone(),
    )
    .checkpoint(cp)
    .options(opts)
    .approver(approver)
    .build();
    let outcome = rt.block_on(runner.run(start));
    Run {
        outcome,
        calls: fake.calls(),
        journal: loaded(&log),
        log,
    }
}

fn ok(stdout: &str) -> Result<Output, TransportError> {
    Ok(Output {
        exit: 0,
        stdout: stdout.into(),
        stderr: String::new(),
        ..Default::default()
    })
}

fn fail(code: i32) -> Result<Output, TransportError> {
    Ok(Output {
        exit: code,
        stdout: String::new(),
        stderr: "boom".into(),
        ..Default::default()
    })
}

/// The calls to one host, in order.
fn on(calls: &[String], host: &str) -> Vec<String> {
    let p = format!("{host}: ");
    calls
        .iter()
        .filter_map(|c| c.strip_prefix(&p).map(str::to_string))
        .collect()
}

const THREE: &str = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: s1\n    on: all\n    run: do-1\n    rollback: undo-1\n  - id: s2\n    on: all\n    run: do-2\n    rollback: undo-2\n  - id: s3\n    on: all\n    run: do-3\n    rollback: undo-3\n";

#[test]
fn forward_in_order_then_rollback_newest_first_on_the_hosts_that_succeeded() {
    let fake = FakeConnector::new(|h, c| {
        if h == "b" && c == "do-2" {
            fail(1)
        } else {
            ok("")
        }
    });
    let r = exec(THREE, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(
        r.outcome.exit(),
        Exit::FailedRolledBack,
        "{}",
        r.outcome.message
    );
    assert_eq!(on(&r.calls, "a"), ["do-1", "do-2", "undo-2", "undo-1"]);
    assert_eq!(on(&r.calls, "b"), ["do-1", "do-2", "undo-1"]);
    assert_eq!(on(&r.calls, "c"), ["do-1", "do-2", "undo-2", "undo-1"]);
    assert!(
        r.outcome.message.contains("step `s2` failed on b"),
        "{}",
        r.outcome.message
    );
}

#[test]
fn on_failure_continue_goes_on_and_abort_stops_without_rollback() {
    let rb = THREE.replace(
        "    rollback: undo-2\n",
        "    rollback: undo-2\n    on_failure: continue\n",
    );
    let fake = FakeConnector::new(|h, c| {
        if h == "b" && c == "do-2" {
            fail(1)
        } else {
            ok("")
        }
    });
    let r = exec(&rb, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(on(&r.calls, "b"), ["do-1", "do-2", "do-3"]);
    // Never "every step succeeded": the continued failure is named, and a human must look.
    assert_eq!(
        r.outcome.outcome,
        drctl_core::Outcome::CompletedWithFailures
    );
    assert_eq!(r.outcome.exit(), Exit::NeedsHuman);
    assert!(
        r.outcome.message.contains("`s2` failed on b"),
        "{}",
        r.outcome.message
    );
    let rb = THREE.replace(
        "    rollback: undo-2\n",
        "    rollback: undo-2\n    on_failure: abort\n",
    );
    let fake = FakeConnector::new(|h, c| {
        if h == "b" && c == "do-2" {
            fail(1)
        } else {
            ok("")
        }
    });
    let r = exec(&rb, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(r.outcome.exit(), Exit::NeedsHuman);
    assert_eq!(on(&r.calls, "a"), ["do-1", "do-2"]);
}

#[test]
fn retries_until_success_and_until_polls_for_stdout() {
    let n = Arc::new(AtomicUsize::new(0));
    let m = Arc::new(AtomicUsize::new(0));
    let (n2, m2) = (n.clone(), m.clone());
    let fake = FakeConnector::new(move |_, c| match c {
        "flaky" if n2.fetch_add(1, Ordering::SeqCst) < 2 => fail(7),
        "poll" => ok(if m2.fetch_add(1, Ordering::SeqCst) < 3 {
            "starting"
        } else {
            "ready"
        }),
        _ => ok(""),
    });
    let rb = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: f\n    on: a\n    run: flaky\n    retries: 3\n    retry_delay: 10ms\n  - id: p\n    on: a\n    run: poll\n    until: { stdout: ready }\n    interval: 10ms\n    timeout: 5s\n";
    let r = exec(rb, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(r.outcome.exit(), Exit::Success, "{}", r.outcome.message);
    assert_eq!(n.load(Ordering::SeqCst), 3);
    assert_eq!(m.load(Ordering::SeqCst), 4);
    let attempts = r.journal.records.iter().find_map(|x| match x {
        Record::Finished { step, attempts, .. } if step == "f" => Some(*attempts),
        _ => None,
    });
    assert_eq!(attempts, Some(3));
}

#[test]
fn captures_are_per_host_and_shell_quoted_and_secrets_masked_in_the_journal() {
    let fake = FakeConnector::new(|h, c| match c {
        "whoami" => ok(&format!("it's {h}\n")),
        c if c.starts_with("leak") => ok("token=hunter2"),
        _ => ok(""),
    });
    let rb = "drctl: 1\nkind: failover\nname: t\nvars:\n  token: { env: SECRET, secret: true }\nsteps:\n  - id: who\n    on: [a, b]\n    run: whoami\n    capture: me\n  - id: use\n    on: [a, b]\n    run: echo {{ me }}\n  - id: leak\n    on: a\n    run: leak {{ token }}\n";
    let r = exec(rb, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(r.outcome.exit(), Exit::Success, "{}", r.outcome.message);
    assert_eq!(on(&r.calls, "a")[1], r#"echo 'it'\''s a'"#);
    assert_eq!(on(&r.calls, "b")[1], r#"echo 'it'\''s b'"#);
    assert_eq!(
        on(&r.calls, "a")[2],
        "leak hunter2",
        "the host gets the real value"
    );
    let text = r.log.text();
    assert!(!text.contains("hunter2"), "secret in the journal: {text}");
    assert!(text.contains("token=****"), "{text}");
}

#[test]
fn drill_skips_replaces_and_rolls_everything_back() {
    let rb = "drctl: 1\nkind: cutover\nname: t\nsteps:\n  - id: page\n    on: a\n    run: page-oncall\n    drill: skip\n  - id: switch\n    on: a\n    run: switch-real\n    drill: switch-drill {{ mode }}\n    rollback: switch-back\n  - id: check\n    on: a\n    run: check\n";
    let fake = FakeConnector::ok();
    let r = exec(rb, RunMode::Drill, ExecOptions::default(), &fake, None);
    assert_eq!(r.outcome.exit(), Exit::Success, "{}", r.outcome.message);
    assert_eq!(r.outcome.outcome, drctl_core::Outcome::DrillPassed);
    assert_eq!(
        on(&r.calls, "a"),
        ["switch-drill drill", "check", "switch-back"]
    );
}

#[test]
fn a_gate_without_approval_and_without_a_terminal_stops_before_anything_after_it() {
    let rb = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: s1\n    on: a\n    run: before\n  - id: go\n    approve: sure?\n  - id: s2\n    on: a\n    run: after\n";
    let fake = FakeConnector::ok();
    let r = exec(rb, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(r.outcome.exit(), Exit::InFlight);
    assert_eq!(r.calls, ["a: before"]);
    // Resumed with the approval, only what is left runs.
    let fake2 = FakeConnector::ok();
    let approver = Arc::new(PresetApprover {
        yes: false,
        approve: ["go".to_string()].into(),
        user: "tester".into(),
        then: Arc::new(NoApprover),
    });
    let r2 = exec_with(
        rb,
        RunMode::Run,
        ExecOptions::default(),
        approver,
        &fake2,
        Some(r.log),
    );
    assert_eq!(r2.outcome.exit(), Exit::Success, "{}", r2.outcome.message);
    assert_eq!(r2.calls, ["a: after"]);
}

/// A journal that stops with `s2` started on every host and finished on none: a crash.
fn crashed_in_s2(rb: &str) -> Arc<MemoryLog> {
    let j = Arc::new(MemoryLog::default());
    j.append(&Record::Header(header(RunMode::Run))).unwrap();
    let _ = plan(rb, RunMode::Run);
    for (step, finish) in [("s1", true), ("s2", false)] {
        for h in ["a", "b", "c"] {
            let t = now_rfc3339();
            j.append(&Record::Started {
                t: t.clone(),
                step: step.into(),
                host: h.into(),
                phase: Phase::Forward,
            })
            .unwrap();
            if finish {
                j.append(&Record::Finished {
                    t,
                    step: step.into(),
                    host: h.into(),
                    phase: Phase::Forward,
                    ok: true,
                    exit: Some(0),
                    attempts: 1,
                    duration_ms: 1,
                    digest: String::new(),
                    error: None,
                    stdout_tail: String::new(),
                    stderr_tail: String::new(),
                    captured: None,
                    command: None,
                    in_doubt: false,
                })
                .unwrap();
            }
        }
    }
    j.append(&Record::StepEnd {
        t: now_rfc3339(),
        step: "s1".into(),
        phase: Phase::Forward,
        ok: true,
        failed_hosts: vec![],
        duration_ms: 1,
    })
    .unwrap();
    j
}

#[test]
fn resume_asks_about_a_step_in_flight_and_follows_per_host_decisions() {
    let log = crashed_in_s2(THREE);
    let fake = FakeConnector::ok();
    let r = exec(
        THREE,
        RunMode::Run,
        ExecOptions::default(),
        &fake,
        Some(log),
    );
    assert_eq!(r.outcome.exit(), Exit::InFlight);
    assert!(
        r.outcome.message.contains("host `a`, `b`, `c`"),
        "{}",
        r.outcome.message
    );
    assert!(
        r.calls.is_empty(),
        "nothing may run before the operator decides"
    );
    let opts = ExecOptions {
        skip: ["s2@a".to_string()].into(),
        rerun: ["s2".to_string()].into(),
        ..Default::default()
    };
    let fake = FakeConnector::ok();
    let r = exec(THREE, RunMode::Run, opts, &fake, Some(r.log));
    assert_eq!(r.outcome.exit(), Exit::Success, "{}", r.outcome.message);
    assert_eq!(on(&r.calls, "a"), ["do-3"]);
    assert_eq!(on(&r.calls, "b"), ["do-2", "do-3"]);
    assert_eq!(on(&r.calls, "c"), ["do-2", "do-3"]);
}

#[test]
fn an_idempotent_step_in_flight_is_rerun_by_itself() {
    let rb = THREE.replace("    run: do-2\n", "    run: do-2\n    idempotent: true\n");
    let log = crashed_in_s2(&rb);
    let fake = FakeConnector::ok();
    let r = exec(&rb, RunMode::Run, ExecOptions::default(), &fake, Some(log));
    assert_eq!(r.outcome.exit(), Exit::Success, "{}", r.outcome.message);
    assert_eq!(on(&r.calls, "b"), ["do-2", "do-3"]);
}

#[test]
fn fan_out_is_parallel_up_to_forks_and_serial_limits_it() {
    fn peak(rb: &str, forks: usize) -> usize {
        let now = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let (n, m) = (now.clone(), max.clone());
        let fake = FakeConnector::new(move |_, _| {
            let v = n.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(v, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(50));
            n.fetch_sub(1, Ordering::SeqCst);
            ok("")
        });
        let opts = ExecOptions {
            forks,
            ..Default::default()
        };
        let r = exec(rb, RunMode::Run, opts, &fake, None);
        assert_eq!(r.outcome.exit(), Exit::Success);
        max.load(Ordering::SeqCst)
    }
    let rb = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: s\n    on: all\n    run: x\n";
    assert_eq!(peak(rb, 32), 3);
    assert_eq!(peak(rb, 2), 2);
    assert_eq!(peak(&rb.replace("run: x", "run: x\n    serial: 1"), 32), 1);
}

#[test]
fn a_lost_host_fails_its_step_with_its_name() {
    let fake = FakeConnector::new(|h, _| {
        if h == "c" {
            Err(TransportError::Lost {
                host: "c".into(),
                msg: "reset by peer".into(),
            })
        } else {
            ok("")
        }
    });
    let r = exec(THREE, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(r.outcome.exit(), Exit::FailedRolledBack);
    assert!(
        r.outcome.message.contains("failed on c"),
        "{}",
        r.outcome.message
    );
    assert_eq!(on(&r.calls, "a"), ["do-1", "undo-1"]);
}

/// The session over the in-memory store: the run is journaled and audited there, the
/// lock is held while it runs, and a finished run cannot be resumed.
#[test]
fn session_runs_against_any_store_and_refuses_to_resume_an_ended_run() {
    use crate::session::{ResumeKind, ResumeRequest, Session, Target, Unresolved};
    use drctl_core::memory::MemoryStore;
    use drctl_core::store::RunStore;

    let store = MemoryStore::default();
    let fake = FakeConnector::new(|_, _| ok(""));
    let operator = crate::Operator {
        user: "alice".into(),
        controller: "ctl-1".into(),
    };
    let session = Session::new(Arc::new(store.clone()), Arc::new(fake.clone()), operator);
    let target = Target {
        runbook: "/t/rb.yaml".into(),
        ..Target::default()
    };
    let f = session
        .start(plan(THREE, RunMode::Run), &target, Unresolved::Refuse)
        .unwrap();
    assert_eq!(f.outcome.exit(), Exit::Success, "{}", f.outcome.message);
    let l = store.load_run("t-1").unwrap();
    assert_eq!(l.header.user, "alice");
    assert_eq!(l.header.controller, "ctl-1");
    assert!(matches!(l.records.last(), Some(Record::RunEnd { .. })));
    let audit = store.audit_entries();
    assert!(
        audit
            .iter()
            .all(|e| e.who == "alice" && e.controller == "ctl-1")
    );
    assert_eq!(audit.first().map(|e| e.action.as_str()), Some("run-start"));
    // Audit entries are derived from the journal's records: one per command, then the end.
    let commands: Vec<_> = audit.iter().filter(|e| e.action == "command").collect();
    assert_eq!(commands.len(), 9, "3 steps x 3 hosts");
    assert!(
        commands
            .iter()
            .any(|e| e.command.as_deref() == Some("do-1"))
    );
    assert_eq!(audit.last().map(|e| e.action.as_str()), Some("run-end"));
    assert_eq!(store.saved_runbook("t-1").unwrap(), THREE);
    // The lock was released at the end; a held one refuses with exit 4.
    let held = store.lock("t", "other").unwrap();
    let again = session.start(plan(THREE, RunMode::Run), &target, Unresolved::Refuse);
    assert_eq!(again.unwrap_err().exit(), Exit::Refused);
    drop(held);
    let resume = session.prepare_resume(&ResumeRequest {
        run_id: "t-1".into(),
        kind: ResumeKind::Continue,
        inventory: None,
        vars: Default::default(),
        allow_changed: false,
    });
    let err = resume.err().expect("an ended run is not resumable");
    assert!(err.to_string().contains("already ended"), "{err}");
}

#[test]
fn a_run_in_which_every_step_was_skipped_says_nothing_ran() {
    let rb = THREE.replace("    run: do-", "    when: mode == \"drill\"\n    run: do-");
    let fake = FakeConnector::ok();
    let r = exec(&rb, RunMode::Run, ExecOptions::default(), &fake, None);
    assert!(r.calls.is_empty());
    assert_eq!(r.outcome.outcome, drctl_core::Outcome::NothingRan);
    assert_eq!(r.outcome.exit(), Exit::Usage);
}

#[test]
fn a_connection_lost_mid_command_leaves_the_step_in_doubt_and_rolls_nothing_back() {
    let fake = FakeConnector::new(|h, c| {
        if h == "b" && c == "do-2" {
            Err(TransportError::InDoubt {
                host: "b".into(),
                msg: "connection reset".into(),
                partial: Box::default(),
            })
        } else {
            ok("")
        }
    });
    let r = exec(THREE, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(r.outcome.outcome, drctl_core::Outcome::InFlight);
    assert_eq!(r.outcome.exit(), Exit::InFlight);
    assert!(
        r.outcome.message.contains("--rerun s2@b"),
        "{}",
        r.outcome.message
    );
    assert!(
        !r.calls.iter().any(|c| c.contains("undo")),
        "no rollback pretends to know: {:?}",
        r.calls
    );
    assert!(!r.calls.iter().any(|c| c.contains("do-3")));
    let cp = Checkpoint::from_journal(&r.journal);
    assert!(
        cp.in_flight()
            .contains(&("s2".into(), "b".into(), Phase::Forward))
    );
    // Resuming asks, exactly as after a crash; --skip s2@b goes on.
    let opts = ExecOptions {
        skip: ["s2@b".to_string()].into(),
        ..Default::default()
    };
    let fake2 = FakeConnector::ok();
    let r2 = exec(THREE, RunMode::Run, opts, &fake2, Some(r.log));
    assert_eq!(r2.outcome.exit(), Exit::Success, "{}", r2.outcome.message);
    assert_eq!(r2.calls.iter().filter(|c| c.ends_with("do-3")).count(), 3);
}

#[test]
fn a_drill_that_leaves_a_change_without_rollback_does_not_pass() {
    let rb = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: copy\n    on: a\n    run: cp x y\n    rollback: rm y\n  - id: promote\n    on: a\n    run: pg_ctl promote\n";
    let fake = FakeConnector::ok();
    let r = exec(rb, RunMode::Drill, ExecOptions::default(), &fake, None);
    assert_eq!(r.outcome.outcome, drctl_core::Outcome::DrillIncomplete);
    assert_eq!(r.outcome.exit(), Exit::NeedsHuman);
    assert!(
        r.outcome.message.contains("`promote`"),
        "{}",
        r.outcome.message
    );
    // With a drill replacement the real promotion never ran: the drill passes.
    let rb = rb.replace(
        "run: pg_ctl promote\n",
        "run: pg_ctl promote\n    drill: echo would promote\n",
    );
    let r = exec(
        &rb,
        RunMode::Drill,
        ExecOptions::default(),
        &FakeConnector::ok(),
        None,
    );
    assert_eq!(
        r.outcome.outcome,
        drctl_core::Outcome::DrillPassed,
        "{}",
        r.outcome.message
    );
}

/// Records the messages it was asked, and approves.
struct Recorder(std::sync::Mutex<Vec<String>>);

impl Approver for Recorder {
    fn ask(&self, gate: &crate::approval::Gate<'_>) -> crate::approval::Answer {
        self.0.lock().unwrap().push(gate.message.to_string());
        crate::approval::Answer::Approved { by: "test".into() }
    }
}

#[test]
fn an_approval_message_renders_values_captured_before_it() {
    let rb = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: lsn\n    on: b\n    run: show-lsn\n    capture: standby_lsn\n  - id: go\n    approve: \"promote at {{ standby_lsn }}?\"\n  - id: promote\n    on: b\n    run: promote {{ standby_lsn }}\n";
    let fake = FakeConnector::new(|_, c| ok(if c == "show-lsn" { "0/3000060\n" } else { "" }));
    let rec = Arc::new(Recorder(Default::default()));
    let r = exec_with(
        rb,
        RunMode::Run,
        ExecOptions::default(),
        rec.clone(),
        &fake,
        None,
    );
    assert_eq!(r.outcome.exit(), Exit::Success, "{}", r.outcome.message);
    assert_eq!(*rec.0.lock().unwrap(), ["promote at 0/3000060?"]);
}

#[test]
fn an_interrupted_prompt_leaves_the_gate_pending() {
    struct CtrlC;
    impl Approver for CtrlC {
        fn ask(&self, _: &crate::approval::Gate<'_>) -> crate::approval::Answer {
            crate::approval::Answer::Interrupted
        }
    }
    let rb = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: s1\n    on: a\n    run: before\n    rollback: undo\n  - id: go\n    approve: sure?\n  - id: s2\n    on: a\n    run: after\n";
    let fake = FakeConnector::ok();
    let r = exec_with(
        rb,
        RunMode::Run,
        ExecOptions::default(),
        Arc::new(CtrlC),
        &fake,
        None,
    );
    assert_eq!(r.outcome.exit(), Exit::Interrupted, "{}", r.outcome.message);
    assert_eq!(r.calls, ["a: before"], "never declined, never rolled back");
    let cp = Checkpoint::from_journal(&r.journal);
    assert!(!cp.gates.contains("go"), "the gate is still pending");
}

#[test]
fn a_new_run_is_refused_while_the_previous_one_is_unresolved() {
    use crate::session::{Session, SessionError, Target, Unresolved};
    use drctl_core::memory::MemoryStore;

    let store = MemoryStore::default();
    let operator = crate::Operator {
        user: "bob".into(),
        controller: "ctl".into(),
    };
    let session = Session::new(
        Arc::new(store.clone()),
        Arc::new(FakeConnector::ok()),
        operator,
    );
    let target = Target::default();
    let gated = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: s1\n    on: a\n    run: before\n  - id: go\n    approve: sure?\n";
    // Nobody to ask: the first run stops at the gate (exit 5), unresolved.
    let f = session
        .start(
            plan_with_id(gated, RunMode::Run, "t-1"),
            &target,
            Unresolved::Refuse,
        )
        .unwrap();
    assert_eq!(f.outcome.exit(), Exit::InFlight);
    let err = session
        .start(
            plan_with_id(gated, RunMode::Run, "t-2"),
            &target,
            Unresolved::Refuse,
        )
        .unwrap_err();
    assert!(
        matches!(&err, SessionError::Unresolved { previous, .. } if previous == "t-1"),
        "{err}"
    );
    assert_eq!(err.exit(), Exit::Refused);
    assert!(err.hint().unwrap().contains("drctl resume t-1"));
    assert!(
        store.log("t-2").is_none(),
        "nothing of the new run was written"
    );
    // The operator may start anew anyway.
    let f = session
        .start(
            plan_with_id(THREE, RunMode::Run, "t-3"),
            &target,
            Unresolved::StartAnyway,
        )
        .unwrap();
    assert_eq!(f.outcome.exit(), Exit::Success);
}

/// A journal on a disk that fills up after `room` records.
struct FullDisk {
    inner: MemoryLog,
    room: usize,
}

impl RunLog for FullDisk {
    fn append_all(&self, records: &[Record]) -> Result<(), drctl_core::store::StateError> {
        if self.inner.records().len() + records.len() > self.room {
            return Err(drctl_core::store::StateError::Io {
                path: "journal.jsonl".into(),
                source: std::io::Error::other("No space left on device"),
            });
        }
        self.inner.append_all(records)
    }
}

#[test]
fn a_journal_that_cannot_be_written_stops_the_run() {
    let log = Arc::new(FullDisk {
        inner: MemoryLog::default(),
        room: 9, // header, s1 on 3 hosts (6), its end, then s2's first start fails
    });
    log.append(&Record::Header(header(RunMode::Run))).unwrap();
    let fake = FakeConnector::ok();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runner = Runner::builder(
        Arc::new(plan(THREE, RunMode::Run)),
        Arc::new(fake.clone()),
        log,
    )
    .build();
    let outcome = rt.block_on(runner.run(Start::New));
    assert_eq!(
        outcome.outcome,
        drctl_core::Outcome::JournalFailed,
        "{}",
        outcome.message
    );
    assert_eq!(outcome.exit(), Exit::NeedsHuman);
    assert!(
        outcome.message.contains("No space left"),
        "{}",
        outcome.message
    );
    let calls = fake.calls();
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("do-3") || c.contains("undo")),
        "{calls:?}"
    );
}

#[test]
fn a_captured_value_cannot_steer_an_upload_out_of_its_folder() {
    let rb = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: pick\n    on: a\n    run: pick\n    capture: name\n  - id: send\n    on: a\n    upload: { src: files/x, dest: \"/srv/in/{{ name }}\" }\n";
    let fake = FakeConnector::new(|_, c| {
        ok(if c == "pick" {
            "../../etc/cron.d/evil"
        } else {
            ""
        })
    });
    let r = exec(rb, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_ne!(r.outcome.exit(), Exit::Success);
    let err = r
        .journal
        .records
        .iter()
        .find_map(|x| match x {
            Record::Finished { step, error, .. } if step == "send" => error.clone(),
            _ => None,
        })
        .unwrap();
    assert!(err.contains("`..`"), "{err}");
}

#[test]
fn a_secret_inside_a_captured_value_is_sealed_in_the_journal_and_real_for_commands() {
    let rb = "drctl: 1\nkind: failover\nname: t\nvars:\n  token: { env: SECRET, secret: true }\nsteps:\n  - id: dsn\n    on: a\n    run: make-dsn\n    capture: dsn\n  - id: use\n    on: a\n    run: connect {{ dsn }}\n  - id: gate\n    approve: go?\n  - id: again\n    on: a\n    run: connect {{ dsn }}\n";
    let fake = FakeConnector::new(|_, c| {
        ok(if c == "make-dsn" {
            "user=app password=hunter2"
        } else {
            ""
        })
    });
    let r = exec(rb, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(r.outcome.exit(), Exit::InFlight, "stopped at the gate");
    assert!(
        r.calls
            .contains(&"a: connect 'user=app password=hunter2'".to_string()),
        "{:?}",
        r.calls
    );
    let text = r.log.text();
    assert!(!text.contains("hunter2"), "secret in the journal: {text}");
    assert!(text.contains("«secret:token»"), "{text}");
    // Resumed from the journal alone, the command still gets the real value.
    let approver = Arc::new(PresetApprover {
        yes: true,
        approve: Default::default(),
        user: "t".into(),
        then: Arc::new(NoApprover),
    });
    let fake2 = FakeConnector::ok();
    let r2 = exec_with(
        rb,
        RunMode::Run,
        ExecOptions::default(),
        approver,
        &fake2,
        Some(r.log),
    );
    assert_eq!(r2.outcome.exit(), Exit::Success, "{}", r2.outcome.message);
    assert_eq!(r2.calls, ["a: connect 'user=app password=hunter2'"]);
}

const NO_RETURN: &str = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: fence\n    on: a\n    run: fence\n    rollback: unfence\n  - id: go\n    approve: promote?\n  - id: promote\n    on: b\n    run: promote\n    rollback: demote\n    point_of_no_return: true\n  - id: repoint\n    on: c\n    run: repoint\n    rollback: point-back\n  - id: verify\n    on: c\n    run: verify\n";

#[test]
fn rollback_never_crosses_a_point_of_no_return_unless_told() {
    let fake = FakeConnector::new(|_, c| if c == "verify" { fail(1) } else { ok("") });
    let yes = Arc::new(PresetApprover {
        yes: true,
        approve: Default::default(),
        user: "t".into(),
        then: Arc::new(NoApprover),
    });
    let r = exec_with(
        NO_RETURN,
        RunMode::Run,
        ExecOptions::default(),
        yes.clone(),
        &fake,
        None,
    );
    assert_eq!(
        r.outcome.outcome,
        drctl_core::Outcome::StoppedAtPointOfNoReturn
    );
    assert_eq!(r.outcome.exit(), Exit::NeedsHuman);
    assert!(
        r.outcome
            .message
            .contains("`promote`, the point of no return"),
        "{}",
        r.outcome.message
    );
    assert!(r.calls.contains(&"c: point-back".to_string()));
    assert!(
        !r.calls
            .iter()
            .any(|c| c.contains("demote") || c.contains("unfence")),
        "{:?}",
        r.calls
    );
    // The operator decides to cross it: the rest is undone, newest first.
    let cross = ExecOptions {
        no_return: crate::NoReturn::Cross,
        ..Default::default()
    };
    let fake2 = FakeConnector::ok();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runner = Runner::builder(
        Arc::new(plan(NO_RETURN, RunMode::Run)),
        Arc::new(fake2.clone()),
        r.log.clone(),
    )
    .checkpoint(Checkpoint::from_journal(&loaded(&r.log)))
    .options(cross)
    .build();
    let o = rt.block_on(runner.rollback_requested("operator".into()));
    assert_eq!(o.exit(), Exit::FailedRolledBack, "{}", o.message);
    assert_eq!(fake2.calls(), ["b: demote", "a: unfence"]);
}

#[test]
fn a_phase_over_its_objective_fails_the_drill_naming_the_phase() {
    let rb = "drctl: 1\nkind: failover\nname: t\nobjectives:\n  phases: { switch: 50ms }\nsteps:\n  - id: quick\n    phase: check\n    on: a\n    run: quick\n  - id: slow\n    phase: switch\n    on: a\n    run: slow\n    rollback: undo\n";
    let fake = FakeConnector::new(|_, c| {
        if c == "slow" {
            std::thread::sleep(std::time::Duration::from_millis(150));
        }
        ok("")
    });
    let r = exec(rb, RunMode::Drill, ExecOptions::default(), &fake, None);
    assert_eq!(
        r.outcome.outcome,
        drctl_core::Outcome::DrillMissedRto,
        "{}",
        r.outcome.message
    );
    assert!(
        r.outcome.message.contains("phase `switch` took"),
        "{}",
        r.outcome.message
    );
}

#[test]
fn a_check_settles_a_step_left_in_doubt_host_by_host() {
    let rb = THREE.replace("    run: do-2\n", "    run: do-2\n    check: is-2-done\n");
    // a: the effect is there; b: it is not; c: the check cannot tell.
    let log = crashed_in_s2(&rb);
    let fake = FakeConnector::new(|h, c| match (h, c) {
        ("a", "is-2-done") => ok(""),
        ("b", "is-2-done") => fail(1),
        ("c", "is-2-done") => Err(TransportError::Lost {
            host: "c".into(),
            msg: "gone".into(),
        }),
        _ => ok(""),
    });
    let r = exec(&rb, RunMode::Run, ExecOptions::default(), &fake, Some(log));
    assert_eq!(
        r.outcome.exit(),
        Exit::InFlight,
        "c is still asked: {}",
        r.outcome.message
    );
    assert!(r.outcome.message.contains("`c`"), "{}", r.outcome.message);
    assert!(!r.outcome.message.contains("`a`"), "{}", r.outcome.message);
    assert!(
        !r.calls.iter().any(|c| c.ends_with("do-2")),
        "nothing re-run before c is settled"
    );
    let by_check = r
        .journal
        .records
        .iter()
        .filter(|x| matches!(x, Record::Decision { by: Some(b), .. } if b == "check"))
        .count();
    assert_eq!(by_check, 2, "a and b settled by the check");
    // The operator settles c; b re-runs, a does not.
    let opts = ExecOptions {
        skip: ["s2@c".to_string()].into(),
        ..Default::default()
    };
    let fake2 = FakeConnector::ok();
    let r2 = exec(&rb, RunMode::Run, opts, &fake2, Some(r.log));
    assert_eq!(r2.outcome.exit(), Exit::Success, "{}", r2.outcome.message);
    let s2: Vec<_> = r2.calls.iter().filter(|c| c.ends_with("do-2")).collect();
    assert_eq!(s2, ["b: do-2"]);
}

#[test]
fn a_loop_runs_each_item_as_its_own_unit_and_rolls_back_per_item() {
    let rb = "drctl: 1\nkind: failover\nname: t\nvars:\n  dbs: [orders, users, audit]\nsteps:\n  - id: failover-db\n    on: a\n    loop: dbs\n    loop_var: db\n    run: promote {{ db }}\n    rollback: demote {{ db }}\n";
    let fake = FakeConnector::new(|_, c| {
        if c == "promote audit" {
            fail(1)
        } else {
            ok("")
        }
    });
    let r = exec(rb, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(
        r.outcome.exit(),
        Exit::FailedRolledBack,
        "{}",
        r.outcome.message
    );
    assert_eq!(
        r.calls,
        [
            "a: promote orders",
            "a: promote users",
            "a: promote audit",
            "a: demote users",
            "a: demote orders"
        ]
    );
    let ids: Vec<String> = r
        .journal
        .records
        .iter()
        .filter_map(|x| match x {
            Record::StepEnd {
                step,
                phase: Phase::Forward,
                ..
            } => Some(step.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        ids,
        [
            "failover-db[orders]",
            "failover-db[users]",
            "failover-db[audit]"
        ]
    );
}
