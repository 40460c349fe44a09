//! Order, rollback, failure policies, retries and polling, captures, drills, gates, fan-out.

use super::*;

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

#[test]
fn yes_is_one_person_a_four_eyes_gate_needs_another() {
    let rb = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: go\n    approve: {message: sure?, approvers: 2}\n  - id: s2\n    on: a\n    run: after\n";
    let fake = FakeConnector::ok();
    let yes = Arc::new(PresetApprover {
        yes: true,
        approve: Default::default(),
        user: "tester".into(),
        then: Arc::new(NoApprover),
    });
    let r = exec_with(rb, RunMode::Run, ExecOptions::default(), yes, &fake, None);
    assert_eq!(r.outcome.exit(), Exit::InFlight);
    assert!(
        r.outcome
            .message
            .contains("needs 2 distinct approvers and has 1 (tester (--yes))"),
        "{}",
        r.outcome.message
    );
    assert!(r.calls.is_empty());
}
