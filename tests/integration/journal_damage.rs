//! Damaged journals: a last line cut by a crash loads (and resume goes on), anything else
//! gives a clear error naming the file and line, never a panic.


use std::path::{Path, PathBuf};

use crate::lab::drctl;

const RB: &str = "drctl: 1\nkind: restore\nname: jd\nvars:\n  out: /dev/null\nsteps:\n  - id: a\n    on: local\n    run: echo a >> {{ out }}\n  - id: b\n    on: local\n    run: echo b >> {{ out }}\n";

/// A finished local run; returns (state dir, run dir, the file its steps append to).
fn finished_run(td: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let st = td.join("state");
    let out_file = td.join("out");
    let rb = td.join("rb.yaml");
    std::fs::write(&rb, RB).unwrap();
    let out = drctl(&st)
        .arg("restore")
        .arg(&rb)
        .arg("-e")
        .arg(format!("out={}", out_file.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let run = std::fs::read_dir(st.join("runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    (st, run, out_file)
}

fn status(st: &Path) -> (Option<i32>, String) {
    let out = drctl(st)
        .args(["status", "--format", "json"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn a_last_line_cut_by_a_crash_is_dropped_and_resume_goes_on_without_rerunning() {
    let td = tempfile::tempdir().unwrap();
    let (st, run, out_file) = finished_run(td.path());
    let j = run.join("journal.jsonl");
    let text = std::fs::read_to_string(&j).unwrap();
    // Cut the run-end record in the middle, as a power loss would.
    let cut = text.trim_end().rfind('\n').unwrap() + 20;
    std::fs::write(&j, &text[..cut]).unwrap();
    let (code, out) = status(&st);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("\"torn_tail\": true"), "{out}");
    let id = run.file_name().unwrap().to_str().unwrap();
    let out = drctl(&st).args(["resume", id]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("cut short by a crash"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        "a\nb\n",
        "nothing ran twice"
    );
}

#[test]
fn damaged_journals_fail_with_a_clear_message_naming_the_line() {
    let td = tempfile::tempdir().unwrap();
    let (st, run, _) = finished_run(td.path());
    let j = run.join("journal.jsonl");
    let good = std::fs::read_to_string(&j).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let id = run.file_name().unwrap().to_str().unwrap().to_string();
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
        std::fs::write(&j, &bytes).unwrap();
        let (code, out) = status(&st);
        assert_eq!(code, Some(2), "{what}: {out}");
        assert!(out.contains(want), "{what}: {want:?} not in {out}");
        for cmd in [vec!["resume", id.as_str()], vec!["report", id.as_str()]] {
            let o = drctl(&st).args(&cmd).output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                matches!(o.status.code(), Some(2 | 3)),
                "{what}: {cmd:?}: {err}"
            );
            assert!(err.contains(want), "{what}: {cmd:?}: {want:?} not in {err}");
        }
        let o = drctl(&st).arg("runs").output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "`runs` lists the others and marks this one"
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains("unreadable journal"));
    }
}
