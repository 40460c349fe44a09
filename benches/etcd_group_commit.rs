//! Benchmark for issue 16: the cost of shared state on etcd against the local directory,
//! for N hosts × S steps (default 50 × 10), on a real 3-member etcd cluster (Debian's
//! `etcd-server`) on loopback.
//!
//! (a) The journal alone: for each step, N threads append `started` at once (a wave),
//!     then N append `finished`, then one `step_end` — as the engine's host tasks do —
//!     through the store's [`RunLog`] (etcd: group commit, one conditional transaction
//!     per wave; directory: one write and one fsync per wave). Prints both times and the
//!     ratio (target ≤ 2×).
//! (b) End to end: `drctl run` of an S-step runbook on N real sshd hosts, with
//!     `--state etcd://…` and with the directory. Prints both times and the ratio.
//!
//!     cargo bench --bench etcd_group_commit            # N = 50, S = 10
//!     cargo bench --bench etcd_group_commit -- 20 5    # another size
//!
//! Under `cargo test --all-targets` it runs once with N = 5, S = 3 as a smoke test.

#[allow(dead_code)]
#[path = "../tests/integration/etcd_cluster.rs"]
mod etcd_cluster;
#[allow(dead_code)]
#[path = "../tests/integration/lab.rs"]
mod lab;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use etcd_cluster::Cluster;
use std::sync::Arc;
use std::time::{Duration, Instant};

use drctl_core::record::{Header, JOURNAL_VERSION, Record};
use drctl_core::store::{RunLog, RunStore};
use drctl_core::{Phase, RunMode};

fn header(run_id: &str) -> Header {
    Header {
        version: JOURNAL_VERSION,
        run_id: run_id.into(),
        runbook: "/bench.yaml".into(),
        runbook_sha256: String::new(),
        name: run_id.into(),
        kind: "cutover".into(),
        mode: RunMode::Run,
        severity: None,
        started_at: drctl_core::time::now_rfc3339(),
        user: "bench".into(),
        sudo_user: None,
        drctl_version: None,
        controller: "bench".into(),
        pid: std::process::id(),
        inventory: None,
        vars: BTreeMap::new(),
        limit: None,
        rto_ms: None,
    }
}

/// N hosts × S steps of journal records through `store`, each wave appended concurrently.
fn journal(store: &dyn RunStore, run_id: &str, n: usize, s: usize) -> Duration {
    let _lock = store.lock(run_id, run_id).expect("lock");
    let log: Arc<dyn RunLog> = store
        .create_run(header(run_id), "steps: []\n")
        .expect("create");
    let t = Instant::now();
    for step in 0..s {
        let step = format!("s{step}");
        for finished in [false, true] {
            std::thread::scope(|sc| {
                for h in 0..n {
                    let (log, step) = (log.clone(), step.clone());
                    sc.spawn(move || {
                        let host = format!("h{h}");
                        let t = drctl_core::time::now_rfc3339();
                        let phase = Phase::Forward;
                        let r = if finished {
                            Record::Finished {
                                t,
                                step,
                                host,
                                phase,
                                ok: true,
                                exit: Some(0),
                                attempts: 1,
                                duration_ms: 1,
                                digest: "0".repeat(64),
                                error: None,
                                stdout_tail: String::new(),
                                stderr_tail: String::new(),
                                captured: None,
                                command: Some("echo x >> \"$HOST_DIR/log\"".into()),
                                in_doubt: false,
                            }
                        } else {
                            Record::Started {
                                t,
                                step,
                                host,
                                phase,
                            }
                        };
                        log.append(&r).expect("append");
                    });
                }
            });
        }
        log.append(&Record::StepEnd {
            t: drctl_core::time::now_rfc3339(),
            step,
            phase: Phase::Forward,
            ok: true,
            failed_hosts: Vec::new(),
            duration_ms: 1,
        })
        .expect("step end");
    }
    let took = t.elapsed();
    let l = store.load_run(run_id).expect("load");
    assert_eq!(
        l.records.len(),
        1 + s * (2 * n + 1),
        "every record is there"
    );
    took
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn end_to_end(c: &Cluster, n: usize, s: usize) -> (Duration, Duration) {
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
    let run = |state: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_drctl"));
        cmd.env("DRCTL_STATE_DIR", lab.path().join("state"))
            .env_remove("DRCTL_STATE")
            .args(["run", "-q", "--yes", "--forks", "256", "--force-new"])
            .arg(&path)
            .arg("-i")
            .arg(&inv)
            .stdin(Stdio::null());
        if let Some(u) = state {
            cmd.args(["--state", u]).env_remove("DRCTL_STATE_DIR");
        }
        let t = Instant::now();
        let o = cmd.output().expect("drctl");
        let took = t.elapsed();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        took
    };
    // Once each to warm up (connections, caches), then measured.
    let _ = (run(None), run(Some(&c.url)));
    let dir = run(None);
    let etcd = run(Some(&c.url));
    let want = (0..s)
        .map(|i| format!("{i}\n"))
        .collect::<String>()
        .repeat(4);
    for h in &lab.hosts {
        assert_eq!(lab.read(&h.name, "log"), want, "host {}", h.name);
    }
    (dir, etcd)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (n, s) = match sizes[..] {
        [n, s, ..] => (n, s),
        _ if bench => (50, 10),
        _ => (5, 3),
    };
    let Some(c) = Cluster::start() else { return };
    let td = tempfile::tempdir().unwrap();
    let dir = drctl_state_fs::StateDir::resolve(Some(td.path().join("state")));
    let etcd = drctl_state_etcd::EtcdStore::connect(&c.url, 10).expect("etcd");
    // Warm up both, then measure.
    journal(&dir, "warm-dir", n, 1);
    journal(&etcd, "warm-etcd", n, 1);
    let d = journal(&dir, "bench-dir", n, s);
    let e = journal(&etcd, "bench-etcd", n, s);
    println!(
        "journal N={n} S={s}: directory {:.1} ms, etcd {:.1} ms, ratio {:.2}x (target <= 2x)",
        ms(d),
        ms(e),
        e.as_secs_f64() / d.as_secs_f64()
    );
    let (d, e) = end_to_end(&c, n, s);
    println!(
        "drctl run N={n} S={s} on real sshd hosts: directory {:.1} ms, etcd {:.1} ms, ratio {:.2}x",
        ms(d),
        ms(e),
        e.as_secs_f64() / d.as_secs_f64()
    );
}
