//! Benchmark: a runbook of S trivial steps (each appends a line to a per-host file) over N
//! real sshd hosts, against a reference run in the same process: a bare ssh2 loop (one
//! thread and one session per host, one exec per step, no orchestration, no journal).
//! Prints both wall times, their ratio, drctl's overhead per step-host and drctl's peak
//! RSS, and verifies every host's files afterwards.
//!
//!     cargo bench --bench ssh_fanout            # N = 1, 10, 50 with S = 10
//!     cargo bench --bench ssh_fanout -- 500 10  # one size (N > 250: the lab's port mode)

#[allow(dead_code)]
#[path = "../tests/integration/lab.rs"]
mod lab;

use std::io::Read;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The reference: what any tool must at least do — connect, authenticate, exec per step.
fn bare_ssh2(lab: &lab::Lab, s: usize) -> Duration {
    let t = Instant::now();
    std::thread::scope(|scope| {
        for h in &lab.hosts {
            scope.spawn(move || {
                let tcp = TcpStream::connect((h.addr.as_str(), h.port)).expect("connect");
                tcp.set_nodelay(true).unwrap();
                let mut sess = ssh2::Session::new().unwrap();
                sess.set_tcp_stream(tcp);
                sess.handshake().expect("handshake");
                sess.userauth_pubkey_file(&lab.user, None, &lab.key, None)
                    .expect("auth");
                for i in 0..s {
                    let mut ch = sess.channel_session().unwrap();
                    ch.exec(&format!("echo {i} >> \"$HOST_DIR/bare\"")).unwrap();
                    let mut sink = String::new();
                    ch.read_to_string(&mut sink).unwrap();
                    ch.wait_close().unwrap();
                    assert_eq!(ch.exit_status().unwrap(), 0);
                }
            });
        }
    });
    t.elapsed()
}

/// drctl's run and its peak RSS (the child's `ru_maxrss`, read by wait4).
fn drctl(lab: &lab::Lab, rb: &std::path::Path, inv: &std::path::Path) -> (Duration, u64) {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_drctl"))
        .env("DRCTL_STATE_DIR", lab.path().join("state"))
        .args(["run", "-q", "--forks", "512"])
        .arg(rb)
        .arg("-i")
        .arg(inv)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run drctl");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 writes into it and the status for our own
    // child's pid, which has not been waited for yet (std's Child is dropped unwaited).
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = t.elapsed();
    assert_eq!(rc, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "drctl failed: {err}"
    );
    std::mem::forget(child);
    (wall, ru.ru_maxrss as u64)
}

fn one(n: usize, s: usize) {
    let lab = lab::Lab::start(n);
    let inv = lab.inventory(&[]);
    // Hundreds of handshakes on the same 2 cores as the lab's sshds take longer than the
    // lab's 3 s connect timeout; the bench measures steps, not a dying lab.
    let text = std::fs::read_to_string(&inv).unwrap();
    std::fs::write(
        &inv,
        text.replace("connect_timeout: 3s", "connect_timeout: 60s"),
    )
    .unwrap();
    let mut rb = String::from("drctl: 1\nkind: cutover\nname: bench\nsteps:\n");
    for i in 0..s {
        rb.push_str(&format!(
            "  - id: s{i}\n    on: all\n    run: echo {i} >> \"$HOST_DIR/log\"\n"
        ));
    }
    let path = lab.path().join("bench.yaml");
    std::fs::write(&path, &rb).unwrap();
    let bare = bare_ssh2(&lab, s);
    let (wall, rss_kib) = drctl(&lab, &path, &inv);
    let want: String = (0..s).map(|i| format!("{i}\n")).collect();
    for h in &lab.hosts {
        assert_eq!(lab.read(&h.name, "log"), want, "host {} log", h.name);
        assert_eq!(lab.read(&h.name, "bare"), want, "host {} bare", h.name);
    }
    let per = wall.as_secs_f64() * 1000.0 / (n * s) as f64;
    let over = (wall.as_secs_f64() - bare.as_secs_f64()) * 1000.0 / (n * s) as f64;
    println!(
        "N={n:>4} S={s:>3}  drctl {:>8.1} ms  bare ssh2 {:>8.1} ms  ratio {:>5.2}x  {per:>6.2} ms per step-host (overhead {over:+.2})  peak RSS {:.1} MiB",
        wall.as_secs_f64() * 1000.0,
        bare.as_secs_f64() * 1000.0,
        wall.as_secs_f64() / bare.as_secs_f64(),
        rss_kib as f64 / 1024.0
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
