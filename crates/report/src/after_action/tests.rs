//! Unit tests of the after-action report: built from small journals, checked field by field.

use super::*;
use drctl_core::record::{Header, JOURNAL_VERSION, Loaded, Record};
use drctl_core::{Outcome, Phase};

const RB: &str = "drctl: 1\nkind: failover\nname: t\nobjectives:\n  rto: 10s\nsteps:\n  - id: fence\n    phase: failover\n    on: h1\n    run: stop\n    on_failure: continue\n  - id: promote\n    phase: failover\n    on: h2\n    run: pg_ctl promote\n";

fn at(s: u32) -> String {
    format!("2026-01-01T00:00:{s:02}Z")
}

fn run(step: &str, host: &str, ok: bool, from: u32, to: u32) -> [Record; 2] {
    [
        Record::Started {
            t: at(from),
            step: step.into(),
            host: host.into(),
            phase: Phase::Forward,
        },
        Record::Finished {
            t: at(to),
            step: step.into(),
            host: host.into(),
            phase: Phase::Forward,
            ok,
            exit: Some(if ok { 0 } else { 255 }),
            attempts: 1,
            duration_ms: u64::from(to - from) * 1000,
            digest: String::new(),
            error: (!ok).then(|| "cannot connect".to_string()),
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            captured: None,
            command: None,
            in_doubt: false,
        },
    ]
}

fn journal(end: Outcome, exit: i32) -> Loaded {
    let header = Header {
        version: JOURNAL_VERSION,
        run_id: "t-1".into(),
        runbook: "/rb.yaml".into(),
        runbook_sha256: String::new(),
        name: "t".into(),
        kind: "failover".into(),
        mode: drctl_core::RunMode::Run,
        severity: None,
        started_at: at(0),
        user: "ops".into(),
        sudo_user: Some("alice".into()),
        drctl_version: Some("0.1.0 (commit abc)".into()),
        controller: "ctl".into(),
        pid: 1,
        inventory: None,
        vars: Default::default(),
        limit: None,
        rto_ms: Some(10_000),
    };
    let mut records = vec![Record::Header(header.clone())];
    records.extend(run("fence", "h1", false, 2, 3));
    records.push(Record::StepEnd {
        t: at(3),
        step: "fence".into(),
        phase: Phase::Forward,
        ok: false,
        failed_hosts: vec!["h1".into()],
        duration_ms: 1000,
    });
    records.extend(run("promote", "h2", true, 3, 5));
    records.push(Record::RunEnd {
        t: at(5),
        outcome: end,
        exit,
        message: "m".into(),
    });
    Loaded {
        header,
        records,
        torn_tail: false,
        epochs: Vec::new(),
        holders: Vec::new(),
    }
}

#[test]
fn a_continued_failure_is_left_for_a_human_and_recovery_counts_from_the_start() {
    let r = RunReport::build(Some(RB), &journal(Outcome::CompletedWithFailures, 3));
    assert_eq!(r.outcome, "completed-with-failures");
    assert_eq!(r.exit, Some(3));
    assert_eq!(r.recovery.measured_ms, Some(5000), "from the run's start");
    assert_eq!(r.recovery.met, Some(true));
    assert!(
        r.left_for_human
            .iter()
            .any(|l| l.contains("step `fence` failed on h1")),
        "{:?}",
        r.left_for_human
    );
    assert_eq!(r.phases.len(), 1);
    assert_eq!(r.phases[0].name, "failover");
    assert_eq!(r.phases[0].duration_ms, 3000);
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.steps[0].hosts[0].ok, Some(false));
}

#[test]
fn a_run_that_did_not_recover_never_meets_its_objective() {
    let r = RunReport::build(Some(RB), &journal(Outcome::Aborted, 3));
    assert_eq!(r.recovery.measured_ms, Some(5000));
    assert_eq!(r.recovery.met, Some(false), "fast, but not recovered");
    assert!(crate::formats::recovery_line(&r).contains("NOT MET"));
}
