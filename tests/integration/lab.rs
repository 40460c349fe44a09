//! Test harness: a lab of real OpenSSH `sshd` processes, one per simulated host, each with
//! its own host key and its own loopback address (127.x.y.z:2222), stopped by pid on drop.
//! Each host has a private folder, exported to its commands as `$HOST_DIR`.

use std::fs;
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static LABS: AtomicU32 = AtomicU32::new(0);
static INVENTORIES: AtomicU32 = AtomicU32::new(0);

/// The second octet of this test process's loopback addresses, 127.A.x.y: taken from the
/// pid, so that test runs in other worktrees on the same machine use other addresses.
/// Never 78: 127.78.x is the examples' default network (examples/pg-failover/lab.sh), which
/// a run of older tests may be using.
pub fn net_a() -> u32 {
    match 1 + (std::process::id() % 250) {
        78 => 251,
        a => a,
    }
}

/// Send `sig` to process `pid`.
pub fn kill(pid: i32, sig: i32) {
    // SAFETY: kill(2) takes two integers and touches no memory of this process; a pid
    // that has gone away only makes it fail with ESRCH, which is ignored here as before.
    unsafe { libc::kill(pid, sig) };
}

pub struct LabHost {
    pub name: String,
    pub addr: String,
    pub port: u16,
    pub dir: PathBuf,
    pub child: Option<Child>,
    pub host_pub: String,
}

pub struct Lab {
    pub root: tempfile::TempDir,
    pub hosts: Vec<LabHost>,
    pub key: PathBuf,
    pub known_hosts: PathBuf,
    pub user: String,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn sshd_path() -> Option<PathBuf> {
    ["/usr/sbin/sshd", "/usr/bin/sshd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

impl Lab {
    /// Start `n` hosts named h1..hN. Panics with a clear message if sshd is missing.
    pub fn start(n: usize) -> Lab {
        Self::start_env(n, "")
    }

    /// The same, with extra `NAME=value` pairs in every host's session environment.
    pub fn start_env(n: usize, extra_env: &str) -> Lab {
        let sshd = sshd_path().expect(
            "OpenSSH sshd not installed: the README's test command installs openssh-server",
        );
        let root = tempfile::Builder::new()
            .prefix("drctl-lab-")
            .tempdir()
            .expect("tempdir");
        let user = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&Command::new("id").arg("-un").output().expect("id").stdout)
                    .trim()
                    .to_string()
            });
        let key = root.path().join("client_key");
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key));
        let auth = root.path().join("authorized_keys");
        fs::copy(key.with_extension("pub"), &auth).unwrap();
        let _ = fs::create_dir_all("/run/sshd");
        let lab_no = LABS.fetch_add(1, Ordering::SeqCst);
        // b < 200: 127.A.200-255.x are the PostgreSQL examples' networks (pg.rs).
        let a = net_a();
        let b = lab_no % 200;
        let mut hosts = Vec::new();
        let known_hosts = root.path().join("known_hosts");
        let mut kh = fs::File::create(&known_hosts).unwrap();
        for i in 0..n {
            let name = format!("h{}", i + 1);
            let dir = root.path().join("hosts").join(&name);
            fs::create_dir_all(&dir).unwrap();
            let hk = root.path().join(format!("hostkey_{name}"));
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(&hk));
            // 250 addresses a lab; beyond them (a 500-host benchmark) the same addresses
            // again on the next ports.
            let addr = format!("127.{a}.{b}.{}", i % 250 + 1);
            let port = 2222 + (i / 250) as u16;
            let cfg = root.path().join(format!("sshd_{name}.conf"));
            let conf = format!(
                "ListenAddress {addr}:{port}\nHostKey {hk}\nPidFile none\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nAuthorizedKeysFile {auth}\nStrictModes no\nPermitRootLogin prohibit-password\nMaxSessions 200\nMaxStartups 400\nUseDNS no\nLogLevel ERROR\nSubsystem sftp internal-sftp\nSetEnv SHLVL=1 HOST_DIR={dir} {extra_env}\n",
                hk = hk.display(),
                auth = auth.display(),
                dir = dir.display()
            );
            fs::write(&cfg, conf).unwrap();
            let host_pub = fs::read_to_string(hk.with_extension("pub")).unwrap();
            let mut parts = host_pub.split_whitespace();
            let (t, k) = (parts.next().unwrap(), parts.next().unwrap());
            writeln!(kh, "[{addr}]:{port} {t} {k}").unwrap();
            let mut h = LabHost {
                name,
                addr,
                port,
                dir,
                child: None,
                host_pub: format!("{t} {k}"),
            };
            h.child = Some(spawn_sshd(&sshd, &cfg));
            hosts.push(h);
        }
        let lab = Lab {
            root,
            hosts,
            key,
            known_hosts,
            user,
        };
        for h in &lab.hosts {
            wait_port(&h.addr, h.port);
        }
        lab
    }

    /// Write a runbook file into the lab.
    pub fn runbook(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        fs::write(&p, text).unwrap();
        p
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// An inventory of all hosts, with groups given as (name, members).
    pub fn inventory(&self, groups: &[(&str, &[&str])]) -> PathBuf {
        self.inventory_with(groups, &self.known_hosts)
    }

    pub fn inventory_with(&self, groups: &[(&str, &[&str])], known_hosts: &Path) -> PathBuf {
        let mut s = format!(
            "defaults:\n  user: {}\n  identity: {}\n  known_hosts: {}\n  connect_timeout: 3s\nhosts:\n",
            self.user,
            self.key.display(),
            known_hosts.display()
        );
        for h in &self.hosts {
            s.push_str(&format!(
                "  {}: {{ addr: {}, port: {} }}\n",
                h.name, h.addr, h.port
            ));
        }
        s.push_str("groups:\n");
        let all: Vec<&str> = self.hosts.iter().map(|h| h.name.as_str()).collect();
        s.push_str(&format!("  all: [{}]\n", all.join(", ")));
        for (g, m) in groups {
            s.push_str(&format!("  {g}: [{}]\n", m.join(", ")));
        }
        let p = self.path().join(format!(
            "inventory-{}.yaml",
            INVENTORIES.fetch_add(1, Ordering::SeqCst)
        ));
        fs::write(&p, s).unwrap();
        p
    }

    pub fn host(&self, name: &str) -> &LabHost {
        self.hosts.iter().find(|h| h.name == name).expect("host")
    }

    /// Contents of a file in a host's folder ("" if absent).
    pub fn read(&self, host: &str, file: &str) -> String {
        fs::read_to_string(self.host(host).dir.join(file)).unwrap_or_default()
    }

    /// The lines of a file in a host's folder (none if absent).
    pub fn lines(&self, host: &str, file: &str) -> Vec<String> {
        self.read(host, file).lines().map(String::from).collect()
    }

    /// Wait (at most 20 s) until a file in a host's folder contains `what`.
    pub fn wait_for(&self, host: &str, file: &str, what: &str) {
        wait_for(&self.host(host).dir.join(file), what);
    }
}

fn spawn_sshd(sshd: &Path, cfg: &Path) -> Child {
    Command::new(sshd)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(cfg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sshd")
}

fn wait_port(addr: &str, port: u16) {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if TcpStream::connect_timeout(
            &format!("{addr}:{port}").parse().unwrap(),
            Duration::from_millis(200),
        )
        .is_ok()
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("sshd on {addr}:{port} did not start");
}

impl Drop for Lab {
    fn drop(&mut self) {
        for h in &mut self.hosts {
            if let Some(mut c) = h.child.take() {
                kill(c.id() as i32, libc::SIGCONT);
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// pids of all descendants of `pid` (via /proc).
pub fn descendants(pid: i32) -> Vec<i32> {
    let mut all = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(child) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let stat = fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let ppid = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().nth(1))
                .and_then(|x| x.parse::<i32>().ok());
            if ppid == Some(p) {
                all.push(child);
                frontier.push(child);
            }
        }
    }
    all
}

impl Lab {
    /// Send a signal to a host's sshd and every session it forked (a hung or dead machine).
    pub fn signal_all(&self, host: &str, sig: i32) {
        let pid = self.host(host).child.as_ref().expect("running").id() as i32;
        for p in descendants(pid) {
            kill(p, sig);
        }
        kill(pid, sig);
    }
}

/// Wait (at most 20 s) until a file contains `what`.
pub fn wait_for(path: &Path, what: &str) {
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        if fs::read_to_string(path).unwrap_or_default().contains(what) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{} never contained {what}", path.display());
}

impl Lab {
    /// Start a host's sshd again (same address, same host key) after it was killed.
    pub fn restart(&mut self, host: &str) {
        let cfg = self.path().join(format!("sshd_{host}.conf"));
        let sshd = sshd_path().expect("sshd");
        let h = self
            .hosts
            .iter_mut()
            .find(|h| h.name == host)
            .expect("host");
        if let Some(mut c) = h.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        h.child = Some(spawn_sshd(&sshd, &cfg));
        wait_port(&h.addr, h.port);
    }
}
