//! Issue 11, point 14: bounded resources. Huge output on many hosts keeps the controller,
//! the journal and the reports small (tails kept in bytes, the rest counted and digested);
//! a background job left by a step never charges its output to the next step; a local step
//! that starts a daemon ends with its own command; terminal escapes from hosts are
//! neutralised on the console and in the Markdown report.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::direct::run_cmd;
use crate::lab::Lab;

fn journal(state: &Path) -> PathBuf {
    let runs = state.join("runs");
    let run = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .next()
        .expect("one run")
        .path();
    run.join("journal.jsonl")
}

/// sha256 hex of what `sh -c CMD` prints on stdout.
fn sha_of(cmd: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{{ {cmd}; }} | sha256sum"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

/// Run drctl to the end and return (exit code, stderr, peak RSS in KiB) of that process.
/// The peak is the process's own `VmHWM` (its address space's high-water mark, which
/// starts afresh at exec), read while it runs: the `ru_maxrss` a parent gets from wait4
/// would also count the test process's own size at the fork.
fn run_measured(lab: &Lab, args: &[&str]) -> (Option<i32>, String, i64) {
    let err_path = lab.path().join("drctl-stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_drctl"))
        .env("DRCTL_STATE_DIR", lab.path().join("state"))
        .env("NO_COLOR", "1")
        .env_remove("SSH_AUTH_SOCK")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut hwm_kib = 0i64;
    let code = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        {
            hwm_kib = hwm_kib.max(kib);
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (
        code,
        std::fs::read_to_string(&err_path).unwrap_or_default(),
        hwm_kib,
    )
}

#[test]
fn huge_output_on_five_hosts_keeps_the_controller_the_journal_and_the_report_small() {
    let lab = Lab::start(5);
    let inv = lab.inventory(&[]);
    // h1: one 40 MB line; the others 40 MB of short lines; all 4 MB of stderr.
    let one_line = "head -c 40000000 /dev/zero | tr '\\0' x";
    let many = "yes 'a line of output' | head -c 40000000";
    let err = "yes 'err' | head -c 4000000";
    let rb = lab.runbook(
        "rb.yaml",
        &format!(
            "drctl: 1\nkind: cutover\nname: lab-huge\nsteps:\n  - id: flood\n    on: all\n    run: |\n      if [ \"$(basename \"$HOST_DIR\")\" = h1 ]; then {one_line}; else {many}; fi\n      {err} >&2\n"
        ),
    );
    let inv_s = inv.display().to_string();
    let rb_s = rb.display().to_string();
    let (code, stderr, rss_kib) = run_measured(&lab, &["run", &rb_s, "-i", &inv_s, "-v"]);
    assert_eq!(code, Some(0), "{stderr}");
    // Unbounded, 5 × 44 MB is kept at least twice over (raw bytes, then text): > 400 MB.
    assert!(
        rss_kib < 100 * 1024,
        "controller peak RSS {} MiB for 5 × 44 MB of output",
        rss_kib / 1024
    );
    assert!(
        stderr.len() < 16 << 20,
        "console got {} bytes",
        stderr.len()
    );
    let j = journal(&lab.path().join("state"));
    let text = std::fs::read_to_string(&j).unwrap();
    assert!(text.len() < 200 << 10, "journal is {} bytes", text.len());
    // The digest still covers every byte: sha256 of the two streams' sha256 lines.
    let want = |out: &str| {
        let (o, e) = (sha_of(out), sha_of(err));
        sha_of(&format!("printf '%s\\n%s\\n' {o} {e}"))
    };
    let finished: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["ev"] == "finished")
        .collect();
    assert_eq!(finished.len(), 5, "{text}");
    for f in &finished {
        let host = f["host"].as_str().unwrap();
        let cmd = if host == "h1" { one_line } else { many };
        assert_eq!(f["digest"].as_str().unwrap(), want(cmd), "{host}");
    }
    let report = crate::direct::drctl(&lab.path().join("state"))
        .args(["report", "--format", "md"])
        .output()
        .unwrap();
    assert!(report.status.success());
    assert!(
        report.stdout.len() < 200 << 10,
        "report is {} bytes",
        report.stdout.len()
    );
}

#[test]
fn a_background_job_left_by_a_step_never_charges_its_output_to_the_next_step() {
    let lab = Lab::start(1);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook(
        "rb.yaml",
        r#"drctl: 1
kind: cutover
name: lab-leftover
steps:
  - id: leave
    on: h1
    run: |
      (sleep 1; echo late-out; echo late-err >&2) &
      sleep 20 &
      echo first
  - id: next
    on: h1
    run: sleep 2; echo second
    capture: value
    expect: { stdout: second }
  - id: use
    on: h1
    run: printf '%s' {{ value }} > "$HOST_DIR/value"
"#,
    );
    let started = Instant::now();
    let out = run_cmd(&lab, "run", &rb, &inv);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(lab.read("h1", "value"), "second");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "waited for the background job: {:?}",
        started.elapsed()
    );
    let text = std::fs::read_to_string(journal(&lab.path().join("state"))).unwrap();
    let next: serde_json::Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["ev"] == "finished" && v["step"] == "next")
        .expect("next finished");
    assert_eq!(next["stdout_tail"], "second", "{text}");
    assert_eq!(next["stderr_tail"], "", "{text}");
}

#[test]
fn a_local_step_that_starts_a_daemon_ends_with_its_own_command() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "drctl: 1\nkind: cutover\nname: local-daemon\nsteps:\n  - id: start\n    on: local\n    run: sleep 20 & echo started\n    capture: s\n  - id: after\n    on: local\n    run: echo \"{{ s }}\" > out.txt\n",
    )
    .unwrap();
    let started = Instant::now();
    let out = crate::direct::drctl(&dir.path().join("state"))
        .current_dir(dir.path())
        .arg("run")
        .arg(&rb)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the step waited for its daemon: {:?}",
        started.elapsed()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        "started\n"
    );
}

#[test]
fn terminal_escapes_from_a_host_are_neutralised_on_the_console_and_in_the_report() {
    let lab = Lab::start(1);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook(
        "rb.yaml",
        r#"drctl: 1
kind: cutover
name: lab-escapes
steps:
  - id: hostile
    on: h1
    run: |
      printf 'title\033]0;pwned\007 clear\033[2J\033[H c1\302\233 cr\rend\n'
      printf 'bad\033[31m red\033[0m\n' >&2
      exit 1
"#,
    );
    let out = drctl_verbose(&lab, &rb, &inv);
    let err = out.stderr;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&err)
    );
    let shown = String::from_utf8_lossy(&err);
    assert!(shown.contains("pwned"), "the text itself is kept: {shown}");
    for bad in ["\x1b", "\x07", "\r", "\u{9b}"] {
        assert!(
            !shown.contains(bad),
            "{bad:?} reached the terminal: {shown:?}"
        );
    }
    let report = crate::direct::drctl(&lab.path().join("state"))
        .args(["report", "--format", "md"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&report.stdout);
    assert!(md.contains("red"), "{md}");
    for bad in ["\x1b", "\x07", "\r", "\u{9b}"] {
        assert!(!md.contains(bad), "{bad:?} reached the report: {md:?}");
    }
}

fn drctl_verbose(lab: &Lab, rb: &Path, inv: &Path) -> std::process::Output {
    crate::direct::drctl(&lab.path().join("state"))
        .arg("run")
        .arg(rb)
        .arg("-i")
        .arg(inv)
        .arg("-v")
        .output()
        .unwrap()
}
