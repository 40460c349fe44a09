//! Controller and cluster failures with shared state on a real 3-member etcd cluster:
//! a controller killed with SIGKILL at several moments of a run on real sshd hosts, each
//! time a new controller `resume --takeover`s it (every step exactly once per host, epochs
//! never decreasing along a host's log); one etcd member down (runs proceed); quorum lost
//! mid-run (commands stop within the lease TTL, with a clear message; `--takeover`
//! finishes once quorum is back).

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::lab::Lab;
use crate::state_etcd::{Cluster, drctl, effects, out};

const STEPS: usize = 6;

/// `STEPS` steps on all hosts; each appends `sN EPOCH` in the middle of a short pause, so
/// a kill lands before or after a step's effect on a host.
fn runbook() -> String {
    let mut s =
        String::from("drctl: 1\nkind: migration\nname: etcd-chaos\ndescription: chaos\nsteps:\n");
    for i in 1..=STEPS {
        s.push_str(&format!(
            "  - id: s{i}\n    on: all\n    run: sleep 0.1; echo s{i} $DRCTL_EPOCH >> \"$HOST_DIR/log\"; sleep 0.1\n"
        ));
    }
    s
}

/// `(step, epoch)` of each line of a host's log.
fn log(lab: &Lab, host: &str) -> Vec<(String, u64)> {
    lab.lines(host, "log")
        .iter()
        .map(|l| {
            let (s, e) = l.split_once(' ').expect("step epoch");
            (s.to_string(), e.parse().expect("epoch"))
        })
        .collect()
}

fn run_id(c: &Cluster, dir: &Path) -> Option<String> {
    let o = drctl(c, dir)
        .args(["runs", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).ok()?;
    let runs = v.as_array().or_else(|| v["runs"].as_array())?;
    // The latest run (listed oldest first).
    runs.last()
        .and_then(|r| r["run_id"].as_str().or_else(|| r["id"].as_str()))
        .map(str::to_string)
}

/// The operator's answers for steps left in flight: done on the host → skip, else rerun.
fn decisions(c: &Cluster, lab: &Lab, id: &str) -> Vec<String> {
    let o = drctl(c, lab.path())
        .args(["status", id, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", out(&o)));
    let mut args = Vec::new();
    for s in v["steps"].as_array().unwrap() {
        let step = s["id"].as_str().unwrap();
        for (host, state) in s["hosts"].as_object().unwrap() {
            if state.as_str() != Some("in flight (unknown)") {
                continue;
            }
            let done = log(lab, host).iter().any(|(l, _)| l == step);
            args.push(if done { "--skip" } else { "--rerun" }.to_string());
            args.push(format!("{step}@{host}"));
        }
    }
    args
}

/// Wait until h1's log shows `marker`, then SIGKILL the controller.
fn kill_at(mut child: Child, lab: &Lab, marker: &str) {
    let until = Instant::now() + Duration::from_secs(40);
    while Instant::now() < until {
        if let Some(st) = child.try_wait().unwrap() {
            panic!("controller ended ({st}) before {marker}");
        }
        if log(lab, "h1").iter().any(|(s, _)| s == marker) {
            child.kill().unwrap();
            child.wait().unwrap();
            std::thread::sleep(Duration::from_millis(300));
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("{marker} never reached");
}

#[test]
fn controllers_killed_at_several_points_each_taken_over_run_every_step_once_per_host() {
    let Some(c) = Cluster::start() else { return };
    let lab = Lab::start(3);
    let inv = lab.inventory(&[]);
    let rb = lab.runbook("chaos.yaml", &runbook());
    let dir = lab.path();
    let ttl = "2";
    let first = drctl(&c, dir)
        .args(["run", "--yes", "--no-progress", "--lease-ttl", ttl])
        .arg(&rb)
        .arg("-i")
        .arg(&inv)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    kill_at(first, &lab, "s2");
    let id = run_id(&c, dir).expect("the run is listed in etcd");
    let mut markers = ["s4", "s5"].into_iter();
    let mut takeovers = 1;
    loop {
        // The operator's answers for whatever the last kill left in flight.
        let extra = decisions(&c, &lab, &id);
        let mut cmd = drctl(&c, dir);
        cmd.args([
            "resume",
            "--takeover",
            "--yes",
            "--no-progress",
            "--lease-ttl",
            ttl,
        ])
        .arg(&id)
        .args(&extra);
        match markers.next() {
            Some(m) => {
                let child = cmd
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                kill_at(child, &lab, m);
                takeovers += 1;
            }
            None => {
                let o = cmd.output().unwrap();
                assert_eq!(o.status.code(), Some(0), "final resume: {}", out(&o));
                break;
            }
        }
    }
    let want: Vec<String> = (1..=STEPS).map(|i| format!("s{i}")).collect();
    let mut epochs_seen = Vec::new();
    for h in ["h1", "h2", "h3"] {
        let l = log(&lab, h);
        let steps: Vec<String> = l.iter().map(|(s, _)| s.clone()).collect();
        assert_eq!(steps, want, "{h}: each step exactly once, in order");
        let e: Vec<u64> = l.iter().map(|(_, e)| *e).collect();
        assert!(e.windows(2).all(|w| w[0] <= w[1]), "{h}: epochs {e:?}");
        epochs_seen.extend(e);
    }
    epochs_seen.sort();
    epochs_seen.dedup();
    assert!(
        epochs_seen.len() >= 3,
        "commands came from several epochs: {epochs_seen:?}"
    );
    // The report names every controller and the takeovers.
    let o = drctl(&c, dir)
        .args(["report", &id, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", out(&o)));
    let ctl = v["controllers"].as_array().unwrap();
    let tk = ctl.iter().filter(|c| c["takeover"] == true).count();
    assert!(tk >= takeovers, "{takeovers} takeovers, report: {ctl:?}");
    let ep: Vec<u64> = ctl.iter().map(|c| c["epoch"].as_u64().unwrap()).collect();
    assert!(ep.windows(2).all(|w| w[0] < w[1]), "{ep:?}");
    assert_eq!(v["outcome"], "succeeded", "{v}");
    let md = drctl(&c, dir).args(["report", &id]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&md.stdout).contains("took the run over"),
        "{}",
        out(&md)
    );
    let html = drctl(&c, dir)
        .args(["report", &id, "--format", "html"])
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&html.stdout);
    assert!(
        html.contains("id=\"controllers\"") && html.contains("took the run over"),
        "{html}"
    );
    let o = drctl(&c, dir).args(["audit", "verify"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn one_member_down_runs_proceed_quorum_lost_stops_within_the_ttl_takeover_finishes() {
    let Some(c) = Cluster::start() else { return };
    let td = tempfile::tempdir().unwrap();
    let dir = td.path();
    // One member of three down (its process gone): a majority remains, runs proceed.
    c.signal(2, libc::SIGKILL);
    c.wait_healthy();
    let rb = crate::state_etcd::runbook(dir, "etcd-minority", "0");
    let o = drctl(&c, dir)
        .args(["run", "--yes", "--lease-ttl", "3"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    std::fs::remove_file(dir.join("effects")).unwrap();

    // Quorum lost while step `one` runs (a second member frozen): no further command, a
    // clear message, no hang.
    let rb = crate::state_etcd::runbook(dir, "etcd-quorum", "2");
    let a = drctl(&c, dir)
        .args(["run", "--yes", "--lease-ttl", "3"])
        .arg(&rb)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    while effects(dir, "one-start") == 0 {
        assert!(Instant::now() < until, "step one never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let id = run_id(&c, dir).expect("run listed");
    c.signal(1, libc::SIGSTOP);
    let t0 = Instant::now();
    let a = a.wait_with_output().unwrap();
    let took = t0.elapsed();
    let err = out(&a);
    eprintln!(
        "quorum lost: controller ended after {took:?} with {:?}\n{err}",
        a.status.code()
    );
    assert_eq!(a.status.code(), Some(6), "fenced, no crash: {err}");
    // The controller sends nothing after the loss (checked below: `two` never ran); the
    // process ends once its last journal write and the after-run report have timed out.
    assert!(took < Duration::from_secs(20), "no hang: {took:?}");
    assert!(
        err.contains("etcd unreachable") && err.contains("(exit 6)"),
        "{err}"
    );
    assert_eq!(effects(dir, "two"), 0, "no command after quorum was lost");
    // Quorum back: another controller takes the run over and finishes it.
    c.signal(1, libc::SIGCONT);
    c.wait_healthy();
    let b = drctl(&c, dir)
        .args(["resume", "--takeover", "--yes", "--lease-ttl", "3"])
        .arg(&id)
        .output()
        .unwrap();
    assert_eq!(b.status.code(), Some(0), "B {}", out(&b));
    assert_eq!(effects(dir, "two"), 1);
    let o = drctl(&c, dir).args(["audit", "verify"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

/// Which member leads the cluster now.
fn leader(c: &Cluster) -> usize {
    let eps: Vec<String> = c
        .url
        .trim_start_matches("etcd://")
        .trim_end_matches("/t")
        .split(',')
        .map(str::to_string)
        .collect();
    for (i, ep) in eps.iter().enumerate() {
        let o = std::process::Command::new("etcdctl")
            .arg(format!("--endpoints={ep}"))
            .args(["endpoint", "status", "-w", "json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        let st = &v[0]["Status"];
        if st["header"]["member_id"].is_u64() && st["header"]["member_id"] == st["leader"] {
            return i;
        }
    }
    panic!("no leader");
}

#[test]
fn the_etcd_leader_killed_mid_run_the_run_proceeds_each_step_once() {
    let Some(c) = Cluster::start() else { return };
    let td = tempfile::tempdir().unwrap();
    let dir = td.path();
    let e = dir.join("effects");
    let mut rb = String::from(
        "drctl: 1\nkind: failover\nname: etcd-leader\ndescription: leader\nseverity: P2\nsteps:\n",
    );
    for i in 1..=10 {
        rb.push_str(&format!(
            "  - id: s{i}\n    on: local\n    run: sleep 0.15; echo s{i} >> {}\n",
            e.display()
        ));
    }
    let p = dir.join("leader.yaml");
    std::fs::write(&p, rb).unwrap();
    // The default lease (10 s): a leader election on a loaded CI machine can keep the
    // cluster from renewing a 3 s lease, and then the run is rightly fenced (exit 6).
    let a = drctl(&c, dir)
        .args(["run", "--yes", "--lease-ttl", "10"])
        .arg(&p)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&e)
        .unwrap_or_default()
        .contains("s3")
    {
        assert!(Instant::now() < until, "s3 never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    let l = leader(&c);
    c.signal(l, libc::SIGKILL);
    let a = a.wait_with_output().unwrap();
    assert_eq!(a.status.code(), Some(0), "leader m{l} killed: {}", out(&a));
    let want: Vec<String> = (1..=10).map(|i| format!("s{i}")).collect();
    let got: Vec<String> = std::fs::read_to_string(&e)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(got, want, "each step once");
    let o = drctl(&c, dir).args(["audit", "verify"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}
