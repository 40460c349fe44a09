//! Benchmarks for issue 12 (not timed tests): dead and frozen hosts.
//!
//! (a) 10 hosts, h9 hung (its sshd SIGSTOPped: TCP connects, SSH never answers) and h10
//!     black-holed (an address routed into a veth whose qdisc drops every packet,
//!     `tc qdisc replace dev VETH root pfifo limit 0`: connect() gets no answer), a runbook
//!     of 3 steps on all with `on_failure: continue`: prints the time to the first healthy
//!     step, until each dead host is reported, and the total. Needs root (network
//!     namespace); without it h10 is left out.
//! (b) a host frozen mid-command (SIGSTOP of its sshd and sessions) with the default
//!     keepalives (5 s × 3) and with 2 s × 3: prints the detection time.
//!
//!     cargo bench --bench dead_hosts

#[allow(dead_code)]
#[path = "../tests/integration/lab.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const NS: &str = "drctl-bench-bh";
const VETH: &str = "drbh0";
const ADDR: &str = "198.51.100.2";

fn sh(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A black-holed address: routed into a veth (its peer in a namespace) that drops every
/// packet, with a static neighbour so no ARP failure ends the wait early.
fn blackhole_up() -> bool {
    blackhole_down();
    sh(&format!(
        "ip netns add {NS} && ip link add {VETH} type veth peer name drbh1 netns {NS} && ip link set {VETH} up && ip -n {NS} link set drbh1 up && ip -n {NS} addr add {ADDR}/24 dev drbh1 && ip route add {ADDR}/32 dev {VETH} && ip neigh replace {ADDR} lladdr 02:00:5e:00:53:02 dev {VETH} nud permanent && tc qdisc replace dev {VETH} root pfifo limit 0 && ip netns exec {NS} tc qdisc replace dev drbh1 root pfifo limit 0"
    ))
}

fn blackhole_down() {
    sh(&format!(
        "ip route del {ADDR}/32 2>/dev/null; ip link del {VETH} 2>/dev/null; ip netns del {NS} 2>/dev/null; true"
    ));
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Run drctl, timing each stderr line as it comes.
fn run_timed(
    lab: &common::Lab,
    rb: &std::path::Path,
    inv: &std::path::Path,
) -> (Vec<(f64, String)>, f64, u128) {
    let t0_wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let t0 = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_drctl"))
        .env("DRCTL_STATE_DIR", lab.path().join("state"))
        .env("NO_COLOR", "1")
        .args(["run", "--no-progress"])
        .arg(rb)
        .arg("-i")
        .arg(inv)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("drctl");
    let mut lines = Vec::new();
    for l in BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        lines.push((ms_since(t0), l));
    }
    let _ = child.wait();
    (lines, ms_since(t0), t0_wall)
}

fn first(lines: &[(f64, String)], what: &str) -> String {
    lines
        .iter()
        .find(|(_, l)| l.contains(what))
        .map(|(t, _)| format!("{t:.0} ms"))
        .unwrap_or_else(|| "never".into())
}

fn dead_hosts() {
    let lab = common::Lab::start(9);
    let bh = blackhole_up();
    let mut inv = std::fs::read_to_string(lab.inventory(&[])).unwrap();
    // The lab's inventory with connect_timeout 3s replaced by the default (5 s).
    inv = inv.replace("  connect_timeout: 3s\n", "");
    if bh {
        inv = inv.replace(
            "groups:\n",
            &format!("  h10: {{ addr: {ADDR}, port: 2222 }}\ngroups:\n"),
        );
        inv = inv.replace("  all: [h1,", "  all: [h10, h1,");
    }
    let inv_path = lab.path().join("inv-dead.yaml");
    std::fs::write(&inv_path, inv).unwrap();
    lab.signal_all("h9", libc::SIGSTOP);
    let mut rb = String::from("drctl: 1\nkind: failover\nname: bench-dead\nsteps:\n");
    for s in ["a", "b", "c"] {
        rb.push_str(&format!(
            "  - id: {s}\n    on: all\n    run: date +%s%3N >> \"$HOST_DIR/t\"\n    on_failure: continue\n"
        ));
    }
    let rb = lab.runbook("dead.yaml", &rb);
    let (lines, total, t0_wall) = run_timed(&lab, &rb, &inv_path);
    lab.signal_all("h9", libc::SIGCONT);
    blackhole_down();
    let first_step = lab
        .hosts
        .iter()
        .filter(|h| h.name != "h9")
        .filter_map(|h| {
            lab.read(&h.name, "t")
                .lines()
                .next()?
                .trim()
                .parse::<u128>()
                .ok()
        })
        .min()
        .map(|t| format!("{} ms", t.saturating_sub(t0_wall)))
        .unwrap_or_else(|| "never".into());
    let last_first = lab
        .hosts
        .iter()
        .filter(|h| h.name != "h9")
        .filter_map(|h| {
            lab.read(&h.name, "t")
                .lines()
                .next()?
                .trim()
                .parse::<u128>()
                .ok()
        })
        .max()
        .map(|t| format!("{} ms", t.saturating_sub(t0_wall)))
        .unwrap_or_else(|| "never".into());
    println!(
        "dead hosts: 10 hosts ({}), h9 hung (SIGSTOP), h10 {}; connect_timeout 5 s (default); 3 steps",
        if bh { "8 healthy" } else { "8 healthy, no h10" },
        if bh {
            "black-holed (veth, pfifo limit 0)"
        } else {
            "not set up (needs root)"
        }
    );
    println!(
        "  first healthy step started:  {first_step} (the last healthy host's first step: {last_first})"
    );
    println!(
        "  h9 (hung) reported at step a: {}",
        first(&lines, "a on h9: FAILED")
    );
    if bh {
        println!(
            "  h10 (black-holed) reported at step a: {}",
            first(&lines, "a on h10: FAILED")
        );
    }
    println!(
        "  h9 at step c (not dialled again): {}",
        first(&lines, "c on h9: FAILED")
    );
    println!("  total: {total:.0} ms");
}

fn frozen(interval: Option<u32>) {
    let lab = common::Lab::start(1);
    let mut inv = std::fs::read_to_string(lab.inventory(&[])).unwrap();
    if let Some(i) = interval {
        inv = inv.replace(
            "  connect_timeout: 3s\n",
            &format!(
                "  connect_timeout: 3s\n  keepalive_interval: {i}s\n  keepalive_count_max: 3\n"
            ),
        );
    }
    let inv_path = lab.path().join("inv-frozen.yaml");
    std::fs::write(&inv_path, inv).unwrap();
    let rb = lab.runbook(
        "frozen.yaml",
        "drctl: 1\nkind: failover\nname: bench-frozen\nsteps:\n  - id: long\n    on: h1\n    run: touch \"$HOST_DIR/started\"; sleep 120\n",
    );
    let started = lab.host("h1").dir.join("started");
    let lab_ref = &lab;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            while !started.exists() {
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(500));
            lab_ref.signal_all("h1", libc::SIGSTOP);
            tx.send(Instant::now()).unwrap();
        });
        let t0 = Instant::now();
        let (lines, total, _) = run_timed(lab_ref, &rb, &inv_path);
        let frozen_at = rx.recv().unwrap();
        let frozen_ms = (frozen_at - t0).as_secs_f64() * 1000.0;
        let detected = lines
            .iter()
            .find(|(_, l)| l.contains("long on h1: FAILED"))
            .map(|(t, _)| format!("{:.1} s after the freeze", (t - frozen_ms) / 1000.0))
            .unwrap_or_else(|| "never".into());
        lab_ref.signal_all("h1", libc::SIGCONT);
        println!(
            "frozen mid-command (keepalive {} s × 3, command would run 120 s): named in doubt {detected}; drctl ended after {:.1} s",
            interval.unwrap_or(5),
            total / 1000.0
        );
    });
}

fn main() {
    dead_hosts();
    frozen(None);
    frozen(Some(2));
}
