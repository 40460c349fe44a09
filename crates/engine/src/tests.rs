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
    let (rb, diags) = parse_runbook(&SourceFile::new("/t/rb.yaml", rb));
    let rb = rb.unwrap_or_else(|| panic!("{diags:?}"));
    let (inv, diags) = parse_inventory(&SourceFile::new("/t/inv.yaml", INV));
    assert!(diags.is_empty(), "{diags:?}");
    let opts = PlanOptions {
        mode,
        run_id: "t-1".into(),
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
    })
}

fn fail(code: i32) -> Result<Output, TransportError> {
    Ok(Output {
        exit: code,
        stdout: String::new(),
        stderr: "boom".into(),
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
    use crate::session::{ResumeKind, ResumeRequest, Session, Target};
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
    let f = session.start(plan(THREE, RunMode::Run), &target).unwrap();
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
    let again = session.start(plan(THREE, RunMode::Run), &target);
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
