//! Issue 11: what drctl tells the operator is true — a live run is "running", SIGTERM stops
//! like Ctrl-C and says how to resume, an unresolved run is not silently started over, a
//! run that skipped everything says nothing ran. All on the controller (host `local`).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::builder::Drctl;

fn runbook(name: &str, steps: &str) -> String {
    format!("drctl: 1\nkind: migration\nname: {name}\nsteps:\n{steps}")
}

fn wait_for(path: &Path) {
    let until = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(Instant::now() < until, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn status_of_a_live_run_says_it_is_running_and_where() {
    let steps = "  - id: first\n    on: local\n    run: \"true\"\n  - id: slow\n    on: local\n    run: touch \"$D/mark\"; while [ ! -e \"$D/done\" ]; do sleep 0.05; done\n    env: { D: \"{{ dir }}\" }\n";
    let running = Drctl::new()
        .runbook("rb.yaml", &runbook("live", steps))
        .args(["run", "{runbook}", "-e", "dir={dir}", "--no-progress"])
        .spawn();
    let sb = running.sandbox().clone();
    wait_for(&sb.path("mark"));
    let id = sb.run_id();
    sb.drctl()
        .args(["status", &id])
        .run()
        .stdout_has("running (step `slow`, pid ")
        .stdout_lacks("crashed");
    sb.drctl()
        .args(["runs"])
        .run()
        .stdout_has("running (step `slow`");
    std::fs::write(sb.path("done"), "").unwrap();
    running.wait().status(0);
    sb.drctl()
        .args(["status", &id])
        .run()
        .stdout_has(&format!("run {id}: succeeded"));
}

#[test]
fn sigterm_stops_like_ctrl_c_and_a_new_run_is_refused_until_it_is_resolved() {
    let steps = "  - id: a\n    on: local\n    run: touch \"$D/mark\"; sleep 1; echo a >> \"$D/log\"\n    env: { D: \"{{ dir }}\" }\n  - id: b\n    on: local\n    run: echo b >> \"$D/log\"\n    env: { D: \"{{ dir }}\" }\n";
    let running = Drctl::new()
        .runbook("rb.yaml", &runbook("term", steps))
        .args(["run", "{runbook}", "-e", "dir={dir}", "--no-progress"])
        .spawn();
    let sb = running.sandbox().clone();
    wait_for(&sb.path("mark"));
    // systemd's stop: SIGTERM to drctl.
    running.signal(libc::SIGTERM);
    let out = running.wait();
    let id = sb.run_id();
    out.status(130)
        .stderr_has("SIGTERM: letting in-flight commands finish")
        .stderr_has(&format!("drctl resume {id}"));
    // The in-flight command finished and was journaled; nothing after it ran.
    let log = || std::fs::read_to_string(sb.path("log")).unwrap();
    assert_eq!(log(), "a\n");

    // Starting the runbook over while that run is unresolved is refused, naming it.
    let dir = format!("dir={}", sb.root().display());
    sb.drctl()
        .args(["run", "{runbook}", "-e", &dir])
        .run()
        .status(4)
        .stderr_has(&format!(
            "previous run of this runbook, {id}, is unresolved (interrupted)"
        ))
        .stderr_has("--force-new");
    assert_eq!(log(), "a\n", "nothing ran");

    // Resume finishes it; then a new run is fine.
    sb.drctl().args(["resume", &id]).run().status(0);
    assert_eq!(log(), "a\nb\n");
    sb.drctl()
        .args(["run", "{runbook}", "-e", &dir])
        .run()
        .status(0);
}

#[test]
fn force_new_starts_over_an_unresolved_run_on_purpose() {
    let steps = "  - id: a\n    on: local\n    run: \"true\"\n  - id: go\n    approve: sure?\n";
    let first = Drctl::new()
        .runbook("rb.yaml", &runbook("gated", steps))
        .args(["run", "{runbook}"])
        .run();
    // Stopped at the gate: no terminal.
    first.status(5);
    let sb = first.sandbox();
    sb.drctl()
        .args(["run", "{runbook}"])
        .run()
        .status(4)
        .stderr_has("(waiting-approval)");
    sb.drctl()
        .args(["run", "{runbook}", "--force-new", "--yes"])
        .run()
        .status(0);
}

#[test]
fn a_run_in_which_every_step_was_skipped_says_nothing_ran() {
    let steps = "  - id: a\n    on: local\n    when: mode == \"drill\"\n    run: \"true\"\n";
    Drctl::new()
        .runbook("rb.yaml", &runbook("skipped", steps))
        .args(["run", "{runbook}"])
        .run()
        .status(2)
        .stderr_has("nothing ran")
        .output_lacks("every step succeeded");
}
