//! What the engine says is true: sessions over any store, nothing-ran, in-doubt steps, drills that leave work, gates, unresolved runs, journal failures, paths, sealed secrets.

use super::*;

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
        sudo_user: None,
        drctl_version: None,
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
        sudo_user: None,
        drctl_version: None,
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
