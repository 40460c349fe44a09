//! Benchmark: a runbook of S trivial steps (each appends a line to a per-host file) over N
//! real sshd hosts; prints wall time and milliseconds per step per host, and verifies
//! every host's file afterwards.
//!
//!     cargo bench --bench ssh_fanout            # N = 1, 10, 50 with S = 10
//!     cargo bench --bench ssh_fanout -- 200 10  # one size

#[allow(dead_code)]
#[path = "../tests/integration/lab.rs"]
mod lab;

use std::time::Instant;

fn one(n: usize, s: usize) {
    let lab = lab::Lab::start(n);
    let inv = lab.inventory(&[]);
    let mut rb = String::from("drctl: 1\nkind: cutover\nname: bench\nsteps:\n");
    for i in 0..s {
        rb.push_str(&format!(
            "  - id: s{i}\n    on: all\n    run: echo {i} >> \"$HOST_DIR/log\"\n"
        ));
    }
    let path = lab.path().join("bench.yaml");
    std::fs::write(&path, &rb).unwrap();
    let t = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drctl"))
        .env("DRCTL_STATE_DIR", lab.path().join("state"))
        .args(["run", "-q", "--forks", "256"])
        .arg(&path)
        .arg("-i")
        .arg(&inv)
        .output()
        .expect("run drctl");
    let wall = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: String = (0..s).map(|i| format!("{i}\n")).collect();
    for h in &lab.hosts {
        assert_eq!(
            lab.read(&h.name, "log"),
            want,
            "host {} file is wrong",
            h.name
        );
    }
    let per = wall.as_secs_f64() * 1000.0 / (n * s) as f64;
    println!(
        "N={n:>4} S={s:>3}  wall {:>8.1} ms  {per:>6.2} ms per step-host (includes connect and process start)",
        wall.as_secs_f64() * 1000.0
    );
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    match args.as_slice() {
        [n, s] => one(*n, *s),
        _ => {
            for n in [1, 10, 50] {
                one(n, 10);
            }
        }
    }
}
