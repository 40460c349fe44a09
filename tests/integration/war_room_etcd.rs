//! Approval from another controller (issue 15): a run journaled in a real etcd
//! (Debian's `etcd-server`) waits at a gate; `drctl approve` run in another UTS namespace
//! with another host name (a second controller, as far as drctl can tell) answers it
//! through etcd, and the journal says which controller the answer came from.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::builder::bin;

/// One etcd member on 127.0.0.1, stopped by pid on drop.
struct Etcd {
    child: Child,
    endpoint: String,
    _dir: tempfile::TempDir,
}

impl Etcd {
    fn start() -> Option<Etcd> {
        if Command::new("etcd").arg("--version").output().is_err() {
            eprintln!("skipped: no `etcd` (Debian's etcd-server)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        // Ports from the pid, apart from the ones state_etcd.rs uses.
        let base = 40000 + (std::process::id() % 400) as u16 * 20;
        let client = format!("http://127.0.0.1:{base}");
        let peer = format!("http://127.0.0.1:{}", base + 1);
        let child = Command::new("etcd")
            .args(["--name", "m0", "--data-dir"])
            .arg(dir.path().join("m0"))
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .args(["--initial-cluster", &format!("m0={peer}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd starts");
        let e = Etcd {
            child,
            endpoint: format!("127.0.0.1:{base}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !e.get("/probe").0 {
            assert!(Instant::now() < deadline, "etcd did not come up");
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(e)
    }

    /// `etcdctl get --prefix`: whether it answered, and the values.
    fn get(&self, prefix: &str) -> (bool, String) {
        match Command::new("etcdctl")
            .arg(format!("--endpoints={}", self.endpoint))
            .args(["get", "--prefix", "--print-value-only", prefix])
            .output()
        {
            Ok(o) if o.status.success() => (true, String::from_utf8_lossy(&o.stdout).into()),
            _ => (false, String::new()),
        }
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

#[test]
fn a_gate_is_approved_from_another_controller_through_etcd() {
    let Some(etcd) = Etcd::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("rb.yaml");
    std::fs::write(
        &rb,
        format!(
            "drctl: 1\nkind: failover\nname: shared\nsteps:\n  - id: go\n    approve: Promote?\n  - id: promote\n    on: local\n    run: echo promoted > {}\n",
            dir.path().join("effect").display()
        ),
    )
    .unwrap();
    let url = format!("etcd://{}/wr", etcd.endpoint);
    let mut run = Command::new(bin())
        .args(["failover"])
        .arg(&rb)
        .args(["--gate-wait", "30s", "--state", &url])
        .env("DRCTL_STATE_DIR", dir.path().join("local"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let id = loop {
        let (_, text) = etcd.get("/wr/runs/");
        if text.contains("\"gate_wait\"") {
            let header = text
                .lines()
                .find(|l| l.contains("\"ev\":\"header\""))
                .unwrap();
            let v: serde_json::Value = serde_json::from_str(header).unwrap();
            break v["run_id"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "the run never waited: {text}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(!dir.path().join("effect").exists());
    // Another controller: its own host name (a UTS namespace), the same etcd.
    let o = Command::new("unshare")
        .args([
            "--uts",
            "sh",
            "-c",
            "hostname ctl-two && exec \"$0\" \"$@\"",
        ])
        .arg(bin())
        .args([
            "approve",
            &id,
            "go",
            "--state",
            &url,
            "--reason",
            "from the DR site",
        ])
        .env("USER", "lead")
        .env("SUDO_USER", "")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let say = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{say}");
    assert!(say.contains("the run goes on"), "{say}");
    assert_eq!(run.wait().unwrap().code(), Some(0));
    assert!(dir.path().join("effect").exists());
    let (_, text) = etcd.get("/wr/runs/");
    assert!(text.contains("\"host\":\"ctl-two\""), "{text}");
    assert!(text.contains("\"approved_by\":\"lead on ctl-two"), "{text}");
    // The answer lives with the run, not in any local state.
    assert!(!dir.path().join("local").exists());
}
