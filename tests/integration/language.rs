//! Issue 14: the runbook language — per-poll timeouts and backoff for `until`, per-phase
//! objectives, `point_of_no_return`, `check:` — run on the controller (host `local`).

use crate::builder::Drctl;

fn runbook(name: &str, steps: &str) -> String {
    format!("drctl: 1\nkind: migration\nname: {name}\nsteps:\n{steps}")
}

#[test]
fn attempt_timeout_keeps_one_stuck_poll_from_eating_the_window() {
    // The first poll hangs; later ones answer at once.
    let steps = "  - id: wait\n    on: local\n    run: if [ -e \"$D/seen\" ]; then echo t; else touch \"$D/seen\"; sleep 30; fi\n    until: { stdout: t }\n    interval: 100ms\n    timeout: 4s\n    attempt_timeout: 500ms\n    env: { D: \"{{ dir }}\" }\n";
    let out = Drctl::new()
        .runbook("rb.yaml", &runbook("poll", steps))
        .args(["run", "{runbook}", "-e", "dir={dir}"])
        .run();
    out.status(0);
    // Without the per-poll limit the first poll would hold the whole 4 s window and fail.
    let no_limit = Drctl::new()
        .runbook(
            "rb.yaml",
            &runbook("poll", &steps.replace("    attempt_timeout: 500ms\n", "")),
        )
        .args(["run", "{runbook}", "-e", "dir={dir}"])
        .run();
    no_limit.status(1).stderr_has("timed out");
}

#[test]
fn until_backs_off_from_interval_to_max_interval() {
    let steps = "  - id: wait\n    on: local\n    run: date +%s%N >> \"$D/polls\"; [ $(wc -l < \"$D/polls\") -ge 5 ] && echo t\n    until: { stdout: t }\n    interval: 100ms\n    max_interval: 400ms\n    timeout: 10s\n    env: { D: \"{{ dir }}\" }\n";
    let out = Drctl::new()
        .runbook("rb.yaml", &runbook("backoff", steps))
        .args(["run", "{runbook}", "-e", "dir={dir}"])
        .run();
    out.status(0);
    let polls: Vec<u128> = std::fs::read_to_string(out.sandbox().path("polls"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(polls.len(), 5);
    let gaps: Vec<u128> = polls
        .windows(2)
        .map(|w| (w[1] - w[0]) / 1_000_000)
        .collect();
    // 100, 200, 400, 400 ms (plus the command's own time).
    assert!(
        gaps[0] < 190 && gaps[1] >= 190 && gaps[2] >= 390 && gaps[3] >= 390,
        "{gaps:?}"
    );
    assert!(gaps[3] < 700, "capped at max_interval: {gaps:?}");
}

/// A step killed mid-command (controller crash) is settled on resume by its `check:`,
/// without asking: its effect is in place, so it is not run twice.
#[test]
fn a_check_settles_a_crashed_step_without_asking() {
    for (check, want) in [(true, 0), (false, 5)] {
        let check_line = if check {
            "    check: test -e \"{{ dir }}/effect\"\n"
        } else {
            ""
        };
        let steps = format!(
            "  - id: apply\n    on: local\n    run: touch \"$D/effect\"; echo x >> \"$D/applied\"; touch \"$D/started\"; sleep 30\n{check_line}    env: {{ D: \"{{{{ dir }}}}\" }}\n  - id: after\n    on: local\n    run: touch \"$D/after\"\n    env: {{ D: \"{{{{ dir }}}}\" }}\n"
        );
        let running = Drctl::new()
            .runbook("rb.yaml", &runbook("checked", &steps))
            .args(["run", "{runbook}", "-e", "dir={dir}", "--no-progress"])
            .spawn();
        let sb = running.sandbox().clone();
        let started = sb.path("started");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !started.exists() {
            assert!(std::time::Instant::now() < until, "the step never started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // The command's own process group would outlive drctl: end it too, as a crashed
        // controller's host would.
        let children = crate::lab::descendants(running.pid());
        let killed = running.kill();
        for p in children {
            crate::lab::kill(p, libc::SIGKILL);
        }
        let id = killed.run_id();
        let out = sb
            .drctl()
            .args(["resume", &id, "-e", &format!("dir={}", sb.root().display())])
            .run();
        out.status(want);
        if check {
            out.stderr_has("its check: the effect is in place");
            assert!(sb.path("after").exists());
            assert_eq!(
                std::fs::read_to_string(sb.path("applied")).unwrap(),
                "x\n",
                "not run twice"
            );
        } else {
            out.stderr_has("was in flight");
        }
    }
}

#[test]
fn validate_knows_loop_items_and_refuses_an_unknown_loop_variable() {
    let ok = "  - id: each\n    on: local\n    loop: [a, b]\n    run: echo {{ item }}\n";
    Drctl::new()
        .runbook("rb.yaml", &runbook("loops", ok))
        .args(["validate", "{runbook}"])
        .run()
        .status(0);
    Drctl::new()
        .runbook("rb.yaml", &runbook("loops", ok))
        .args(["run", "{runbook}"])
        .run()
        .status(0)
        .stderr_has("each[a]")
        .stderr_has("each[b]");
    let bad = "  - id: each\n    on: local\n    loop: dbz\n    run: echo {{ item }}\n  - id: after\n    on: local\n    run: echo {{ item }}\n";
    Drctl::new()
        .runbook("rb.yaml", &runbook("loops", bad))
        .args(["validate", "--format", "short", "{runbook}"])
        .run()
        .status(2)
        .stdout_has("`loop` names `dbz`, which is not a variable")
        .stdout_has("undefined variable `item` in `run` of step `after`");
}

#[test]
fn include_brings_in_shared_steps_with_their_own_file_lines_and_columns() {
    let main = "drctl: 1\nkind: migration\nname: inc\nsteps:\n  - include: shared/prechecks.yaml\n  - id: work\n    on: local\n    run: echo work >> \"$D/log\"\n    env: { D: \"{{ dir }}\" }\n";
    let pre = "- id: pre-a\n  on: local\n  run: echo pre-a >> \"$D/log\"\n  env: { D: \"{{ dir }}\" }\n- include: more.yaml\n";
    let more =
        "- id: pre-b\n  on: local\n  run: echo pre-b >> \"$D/log\"\n  env: { D: \"{{ dir }}\" }\n";
    let out = Drctl::new()
        .file("shared/prechecks.yaml", pre)
        .file("shared/more.yaml", more)
        .runbook("rb.yaml", main)
        .args(["run", "{runbook}", "-e", "dir={dir}"])
        .run();
    out.status(0);
    assert_eq!(
        std::fs::read_to_string(out.sandbox().path("log")).unwrap(),
        "pre-a\npre-b\nwork\n"
    );
    // A mistake in an included file is reported in that file, at its own line and column;
    // a duplicate id across files and a cycle are refused.
    let bad_more = "- id: pre-b\n  on: local\n  run: echo {{ nope }}\n- id: work\n  on: local\n  run: \"true\"\n- include: prechecks.yaml\n";
    Drctl::new()
        .file("shared/prechecks.yaml", pre)
        .file("shared/more.yaml", bad_more)
        .runbook("rb.yaml", main)
        .args(["validate", "--format", "short", "{runbook}"])
        .run()
        .status(2)
        .stdout_has("shared/more.yaml:3:16: error[undefined-variable]")
        .stdout_has("error[duplicate-step-id]: duplicate step id `work`")
        .stdout_has("error[include-cycle]");
}

#[test]
fn validate_refuses_unknown_needs_and_cycles() {
    let steps = "  - id: a\n    on: local\n    needs: [c]\n    run: \"true\"\n  - id: b\n    on: local\n    needs: [a, zz]\n    run: \"true\"\n  - id: c\n    on: local\n    run: \"true\"\n";
    Drctl::new()
        .runbook("rb.yaml", &runbook("graph", steps))
        .args(["validate", "--format", "short", "{runbook}"])
        .run()
        .status(2)
        .stdout_has("error[unknown-step]: step `b` needs `zz`, which is no step")
        .stdout_has("error[needs-cycle]");
}
