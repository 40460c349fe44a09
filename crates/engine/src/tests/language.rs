//! The runbook language: point of no return, phase objectives, checks, loops.

use super::*;

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

#[test]
fn steps_whose_needs_are_met_run_at_once_and_roll_back_in_reverse_completion_order() {
    let rb = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: pre\n    on: a\n    run: pre\n  - id: slow-db\n    needs: [pre]\n    on: a\n    run: slow\n    rollback: undo-slow\n  - id: quick-db\n    needs: [pre]\n    on: b\n    run: quick\n    rollback: undo-quick\n  - id: after\n    needs: [slow-db, quick-db]\n    on: c\n    run: after\n";
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (n, m) = (now.clone(), most.clone());
    let fake = FakeConnector::new(move |_, c| {
        let running = n.fetch_add(1, Ordering::SeqCst) + 1;
        m.fetch_max(running, Ordering::SeqCst);
        match c {
            "slow" => std::thread::sleep(std::time::Duration::from_millis(300)),
            "quick" => std::thread::sleep(std::time::Duration::from_millis(50)),
            _ => {}
        }
        n.fetch_sub(1, Ordering::SeqCst);
        if c == "after" { fail(1) } else { ok("") }
    });
    let r = exec(rb, RunMode::Run, ExecOptions::default(), &fake, None);
    assert_eq!(
        r.outcome.exit(),
        Exit::FailedRolledBack,
        "{}",
        r.outcome.message
    );
    assert_eq!(
        most.load(Ordering::SeqCst),
        2,
        "slow-db and quick-db ran at once"
    );
    let pos = |c: &str| r.calls.iter().position(|x| x.ends_with(c)).unwrap();
    assert!(
        pos("after") > pos("slow") && pos("after") > pos("quick"),
        "{:?}",
        r.calls
    );
    // quick-db ended first, so it is undone last.
    assert!(pos("undo-slow") < pos("undo-quick"), "{:?}", r.calls);
    assert!(pos("pre") < pos("slow") && pos("pre") < pos("quick"));
}

#[test]
fn a_crash_while_steps_ran_at_once_is_resumed_like_any_other() {
    let rb = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: x\n    on: a\n    run: do-x\n  - id: y\n    needs: [x]\n    on: b\n    run: do-y\n  - id: z\n    needs: [x]\n    on: c\n    run: do-z\n  - id: w\n    needs: [y, z]\n    on: a\n    run: do-w\n";
    // x ended; y and z were both in flight when the controller died.
    let log = Arc::new(MemoryLog::default());
    log.append(&Record::Header(header(RunMode::Run))).unwrap();
    let t = now_rfc3339();
    let started = |step: &str, host: &str| Record::Started {
        t: t.clone(),
        step: step.into(),
        host: host.into(),
        phase: Phase::Forward,
    };
    log.append(&started("x", "a")).unwrap();
    log.append(&finished_ok(&t, "x", "a")).unwrap();
    log.append(&Record::StepEnd {
        t: t.clone(),
        step: "x".into(),
        phase: Phase::Forward,
        ok: true,
        failed_hosts: vec![],
        duration_ms: 1,
    })
    .unwrap();
    log.append(&started("y", "b")).unwrap();
    log.append(&started("z", "c")).unwrap();
    let fake = FakeConnector::ok();
    let r = exec(rb, RunMode::Run, ExecOptions::default(), &fake, Some(log));
    assert_eq!(r.outcome.exit(), Exit::InFlight, "{}", r.outcome.message);
    assert!(r.calls.is_empty(), "nothing re-run silently: {:?}", r.calls);
    let ends = r
        .journal
        .records
        .iter()
        .filter(|x| matches!(x, Record::RunEnd { .. }))
        .count();
    assert_eq!(ends, 1, "one end, though two steps stopped the run");
    let opts = ExecOptions {
        rerun: ["y".to_string()].into(),
        skip: ["z".to_string()].into(),
        ..Default::default()
    };
    let fake2 = FakeConnector::ok();
    let r2 = exec(rb, RunMode::Run, opts, &fake2, Some(r.log));
    assert_eq!(r2.outcome.exit(), Exit::Success, "{}", r2.outcome.message);
    assert_eq!(fake2.calls(), ["b: do-y", "a: do-w"]);
}
