//! Benchmark: one step printing SIZE MB on each of N real sshd hosts at once (h1 one single
//! line, the others many lines, all some stderr too); prints the wall time and the drctl
//! process's peak RSS (wait4's ru_maxrss), and the journal's size.
//!
//!     cargo bench --bench big_output            # N = 5, SIZE = 500
//!     cargo bench --bench big_output -- 5 100   # N hosts, SIZE MB each

#[allow(dead_code)]
#[path = "../tests/integration/lab.rs"]
mod common;

use std::process::{Command, Stdio};
use std::time::Instant;

fn one(n: usize, mb: usize) {
    let lab = common::Lab::start(n);
    let inv = lab.inventory(&[]);
    let bytes = mb * 1_000_000;
    let rb = lab.runbook(
        "rb.yaml",
        &format!(
            "drctl: 1\nkind: cutover\nname: big\nsteps:\n  - id: flood\n    on: all\n    timeout: 30m\n    run: |\n      if [ \"$(basename \"$HOST_DIR\")\" = h1 ]; then head -c {bytes} /dev/zero | tr '\\0' x; else yes 'a line of output' | head -c {bytes}; fi\n      yes err | head -c 1000000 >&2\n"
        ),
    );
    let t = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_drctl"))
        .env("DRCTL_STATE_DIR", lab.path().join("state"))
        .args(["run", "-q"])
        .arg(&rb)
        .arg("-i")
        .arg(&inv)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run drctl");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter; wait4 fills it for this child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as i32;
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut ru) }, pid);
    std::mem::forget(child);
    let wall = t.elapsed();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "drctl failed"
    );
    let runs = lab.path().join("state").join("runs");
    let run = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let journal = std::fs::metadata(run.join("journal.jsonl")).unwrap().len();
    println!(
        "N={n} × {mb} MB stdout (+1 MB stderr): wall {:.1} s, {:.0} MB/s in all, drctl peak RSS {} MiB, journal {} KiB",
        wall.as_secs_f64(),
        (n * mb) as f64 / wall.as_secs_f64(),
        ru.ru_maxrss / 1024,
        journal / 1024
    );
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    match args.as_slice() {
        [n, mb] => one(*n, *mb),
        // `cargo test --all-targets` runs benches once as smoke tests: small sizes there.
        _ if !std::env::args().any(|a| a == "--bench") => one(2, 20),
        _ => one(5, 500),
    }
}
