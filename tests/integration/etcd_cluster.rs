//! A real 3-member etcd cluster (Debian's `etcd-server`) on 127.0.0.1 for the tests and
//! the etcd benchmark: ports from the pid and a counter, data in a tempdir, every member
//! stopped by pid on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Three etcd members on 127.0.0.1, data in a tempdir, stopped by pid on drop.
pub(crate) struct Cluster {
    pub(crate) members: Vec<Child>,
    pub(crate) url: String,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Send `sig` to member `i` (SIGSTOP/SIGCONT: a member down and back).
    pub(crate) fn signal(&self, i: usize, sig: i32) {
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(self.members[i].id() as i32, sig) };
    }

    /// Wait (at most 10 s) until the cluster takes writes (a leader is elected).
    pub(crate) fn wait_healthy(&self) {
        let eps = self
            .url
            .trim_start_matches("etcd://")
            .trim_end_matches("/t");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Command::new("etcdctl")
            .arg(format!("--endpoints={eps}"))
            .args(["--command-timeout=1s", "put", "/probe", "x"])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            assert!(Instant::now() < deadline, "etcd cluster has no leader");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn start() -> Option<Cluster> {
        if Command::new("etcd").arg("--version").output().is_err() {
            eprintln!("skipped: no `etcd` (Debian's etcd-server)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        // Ports from the pid and a counter, so parallel tests and engineers do not collide.
        static N: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let base = 20000 + (std::process::id() % 400) as u16 * 100 + n * 10;
        let peer = |i: u16| format!("http://127.0.0.1:{}", base + 5 + i);
        let client = |i: u16| format!("http://127.0.0.1:{}", base + i);
        let initial: Vec<String> = (0..3).map(|i| format!("m{i}={}", peer(i))).collect();
        let members = (0..3)
            .map(|i| {
                Command::new("etcd")
                    .args(["--name", &format!("m{i}")])
                    .arg("--data-dir")
                    .arg(dir.path().join(format!("m{i}")))
                    .args(["--listen-client-urls", &client(i)])
                    .args(["--advertise-client-urls", &client(i)])
                    .args(["--listen-peer-urls", &peer(i)])
                    .args(["--initial-advertise-peer-urls", &peer(i)])
                    .args(["--initial-cluster", &initial.join(",")])
                    .args(["--initial-cluster-state", "new"])
                    .args(["--heartbeat-interval", "50", "--election-timeout", "400"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::from(
                        std::fs::File::create(dir.path().join(format!("m{i}.log"))).unwrap(),
                    ))
                    .spawn()
                    .expect("etcd starts")
            })
            .collect();
        let endpoints: Vec<String> = (0..3).map(|i| format!("127.0.0.1:{}", base + i)).collect();
        let c = Cluster {
            members,
            url: format!("etcd://{}/t", endpoints.join(",")),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ok = Command::new("etcdctl")
                .arg(format!("--endpoints={}", endpoints.join(",")))
                .args(["put", "/probe", "x"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return Some(c);
            }
            assert!(Instant::now() < deadline, "etcd cluster did not come up");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for m in &mut self.members {
            // SAFETY: signalling our own child by its pid.
            unsafe { libc::kill(m.id() as i32, libc::SIGKILL) };
            let _ = m.wait();
        }
    }
}
