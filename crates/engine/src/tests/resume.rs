//! Resume after a crash: steps left in flight, per-host decisions, idempotent steps, lost hosts.

use super::*;

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
