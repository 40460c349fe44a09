//! Damaged journals: a last line cut by a crash loads (and resume goes on), anything else
//! gives a clear error naming the file and line, never a panic.

use crate::builder::{Drctl, Outcome, Sandbox};

const RB: &str = "drctl: 1\nkind: restore\nname: jd\nvars:\n  out: /dev/null\nsteps:\n  - id: a\n    on: local\n    run: echo a >> {{ out }}\n  - id: b\n    on: local\n    run: echo b >> {{ out }}\n";

/// A finished local run, whose steps append to `{dir}/out`.
fn finished_run() -> Sandbox {
    let out = Drctl::new()
        .runbook("rb.yaml", RB)
        .args(["restore", "{runbook}", "-e", "out={dir}/out"])
        .run();
    out.status(0);
    out.sandbox().clone()
}

fn status(sb: &Sandbox) -> Outcome {
    sb.drctl().args(["status", "--format", "json"]).run()
}

#[test]
fn a_last_line_cut_by_a_crash_is_dropped_and_resume_goes_on_without_rerunning() {
    let sb = finished_run();
    let j = sb.run_dir().join("journal.jsonl");
    let text = std::fs::read_to_string(&j).unwrap();
    // Cut the run-end record in the middle, as a power loss would.
    let cut = text.trim_end().rfind('\n').unwrap() + 20;
    std::fs::write(&j, &text[..cut]).unwrap();
    status(&sb).status(0).output_has("\"torn_tail\": true");
    sb.drctl()
        .args(["resume", &sb.run_id()])
        .run()
        .status(0)
        .stderr_has("cut short by a crash");
    assert_eq!(
        std::fs::read_to_string(sb.path("out")).unwrap(),
        "a\nb\n",
        "nothing ran twice"
    );
}

#[test]
fn damaged_journals_fail_with_a_clear_message_naming_the_line() {
    let sb = finished_run();
    let j = sb.run_dir().join("journal.jsonl");
    let good = std::fs::read_to_string(&j).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let id = sb.run_id();
    let cases: Vec<(String, Vec<u8>, &str)> = vec![
        (
            "garbage in the middle".into(),
            {
                let mut l = lines.clone();
                l[2] = "{\"ev\":\"finished\",\"t\":42}";
                (l.join("\n") + "\n").into_bytes()
            },
            "journal.jsonl:3: corrupt journal record",
        ),
        (
            "newer version".into(),
            good.replacen("\"version\":1", "\"version\":99", 1)
                .into_bytes(),
            "written by a newer drctl (journal version 99, this drctl reads 1)",
        ),
        (
            "empty".into(),
            Vec::new(),
            "journal.jsonl:1: corrupt journal record: the first record is not a header",
        ),
        (
            "binary".into(),
            vec![0xff, 0xfe, 0x00, 0x01, b'\n', 0x80, b'\n'],
            "journal.jsonl:1: corrupt journal record",
        ),
    ];
    for (what, bytes, want) in cases {
        eprintln!("case: {what}");
        std::fs::write(&j, &bytes).unwrap();
        status(&sb).status(2).output_has(want);
        for cmd in ["resume", "report"] {
            sb.drctl()
                .args([cmd, &id])
                .run()
                .status_in(&[2, 3])
                .stderr_has(want);
        }
        // `runs` lists the others and marks this one.
        sb.drctl()
            .arg("runs")
            .run()
            .status(0)
            .stdout_has("unreadable journal");
    }
}
