//! Test harness for bastions: target sshds and bastion sshds inside a network namespace the
//! test creates (its own loopback, no route from the controller's namespace), and in the
//! controller's namespace one socat forwarder per public bastion (127.A.250.x) into it. So
//! the targets can be reached only through a bastion. Everything is stopped by pid on drop,
//! the namespace deleted.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::lab::{kill, net_a, sshd_path};

static LABS: AtomicU32 = AtomicU32::new(0);

/// One sshd inside the namespace.
pub struct NsHost {
    pub name: String,
    /// Address and port inside the namespace.
    pub addr: String,
    pub port: u16,
    pub dir: PathBuf,
    pub log: PathBuf,
    /// `addr port` of its known_hosts line's key: `type base64`.
    pub host_pub: String,
    pub pid: i32,
    /// Reachable from the controller at this address (bastions only).
    pub public: Option<(String, u16)>,
}

pub struct JumpLab {
    pub root: tempfile::TempDir,
    pub ns: String,
    pub key: PathBuf,
    pub user: String,
    pub hosts: Vec<NsHost>,
    children: Vec<Child>,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Can this machine create a network namespace? Says so on stderr when not.
pub fn netns_available(test: &str) -> bool {
    static PROBES: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "bj-probe-{}-{}",
        std::process::id(),
        PROBES.fetch_add(1, Ordering::SeqCst)
    );
    match Command::new("ip").args(["netns", "add", &name]).output() {
        Ok(o) if o.status.success() => {
            let _ = Command::new("ip").args(["netns", "del", &name]).status();
            true
        }
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
                Err(e) => e.to_string(),
            };
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: network namespaces cannot be created here (`ip netns add`: {why})"
            );
            false
        }
    }
}

impl JumpLab {
    /// Bastions `bastions` (reachable from the controller when `public`) and targets, all
    /// sshds in one new namespace.
    pub fn start(bastions: &[(&str, bool)], targets: &[&str]) -> JumpLab {
        let sshd = sshd_path().expect("OpenSSH sshd not installed");
        let root = tempfile::Builder::new()
            .prefix("drctl-jump-")
            .tempdir()
            .unwrap();
        let n = LABS.fetch_add(1, Ordering::SeqCst);
        let ns = format!("drctl-bj-{}-{n}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &ns]));
        run(Command::new("ip").args(["-n", &ns, "link", "set", "lo", "up"]));
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let key = root.path().join("client_key");
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key));
        let auth = root.path().join("authorized_keys");
        fs::copy(key.with_extension("pub"), &auth).unwrap();
        let _ = fs::create_dir_all("/run/sshd");
        let mut lab = JumpLab {
            root,
            ns,
            key,
            user,
            hosts: Vec::new(),
            children: Vec::new(),
        };
        let base_port = 20000 + (std::process::id() % 2000) as u16 * 10;
        let all = bastions
            .iter()
            .map(|(b, p)| (*b, *p))
            .chain(targets.iter().map(|t| (*t, false)));
        for (i, (name, public)) in all.enumerate() {
            let addr = format!("127.0.0.{}", i + 1);
            let port = base_port + (n % 5) as u16 * 2 + 1;
            let dir = lab.root.path().join("hosts").join(name);
            fs::create_dir_all(&dir).unwrap();
            let hk = lab.root.path().join(format!("hostkey_{name}"));
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(&hk));
            let log = lab.root.path().join(format!("sshd_{name}.log"));
            let cfg = lab.root.path().join(format!("sshd_{name}.conf"));
            fs::write(
                &cfg,
                format!(
                    "ListenAddress {addr}:{port}\nHostKey {}\nPidFile none\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nAuthorizedKeysFile {}\nStrictModes no\nPermitRootLogin prohibit-password\nAllowTcpForwarding yes\nMaxStartups 100\nUseDNS no\nLogLevel VERBOSE\nSetEnv HOST_DIR={}\n",
                    hk.display(),
                    auth.display(),
                    dir.display()
                ),
            )
            .unwrap();
            let child = Command::new("ip")
                .args(["netns", "exec", &lab.ns])
                .arg(&sshd)
                .args(["-D", "-E"])
                .arg(&log)
                .arg("-f")
                .arg(&cfg)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start sshd");
            let pid = child.id() as i32;
            lab.children.push(child);
            let pubk = fs::read_to_string(hk.with_extension("pub")).unwrap();
            let mut parts = pubk.split_whitespace();
            let host_pub = format!("{} {}", parts.next().unwrap(), parts.next().unwrap());
            let public = public.then(|| {
                let last = (n % 50) * 5 + i as u32 + 1;
                (format!("127.{}.250.{last}", net_a()), port)
            });
            if let Some((paddr, pport)) = &public {
                let fwd = Command::new("socat")
                    .arg(format!(
                        "TCP-LISTEN:{pport},bind={paddr},reuseaddr,fork,nodelay"
                    ))
                    .arg(format!(
                        "EXEC:ip netns exec {} socat STDIO TCP\\:{addr}\\:{port}\\,nodelay",
                        lab.ns
                    ))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("socat (scripts/test installs it)");
                lab.children.push(fwd);
            }
            lab.hosts.push(NsHost {
                name: name.to_string(),
                addr,
                port,
                dir,
                log,
                host_pub,
                pid,
                public,
            });
        }
        for h in &lab.hosts {
            lab.wait_listening(h);
        }
        lab
    }

    fn wait_listening(&self, h: &NsHost) {
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            let ok = Command::new("ip")
                .args(["netns", "exec", &self.ns, "ss", "-Hltn"])
                .arg(format!("src {}:{}", h.addr, h.port))
                .output()
                .is_ok_and(|o| !o.stdout.is_empty());
            // The forwarder listening, checked without connecting: a connection would
            // count as one on the bastion.
            let public_ok = match &h.public {
                Some((a, p)) => Command::new("ss")
                    .args(["-Hltn"])
                    .arg(format!("src {a}:{p}"))
                    .output()
                    .is_ok_and(|o| !o.stdout.is_empty()),
                None => true,
            };
            if ok && public_ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        panic!("sshd {} did not start", h.name);
    }

    pub fn host(&self, name: &str) -> &NsHost {
        self.hosts.iter().find(|h| h.name == name).expect("host")
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// A known_hosts file with the keys of `names` (as the hop that reaches each sees it).
    pub fn known_hosts(&self, file: &str, names: &[&str]) -> PathBuf {
        let mut s = String::new();
        for n in names {
            let h = self.host(n);
            let (a, p) = h.public.clone().unwrap_or((h.addr.clone(), h.port));
            s.push_str(&format!("[{a}]:{p} {}\n", h.host_pub));
        }
        let p = self.path().join(file);
        fs::write(&p, s).unwrap();
        p
    }

    /// `addr:port` the controller uses for a host (public for bastions).
    pub fn reach(&self, name: &str) -> (String, u16) {
        let h = self.host(name);
        h.public.clone().unwrap_or((h.addr.clone(), h.port))
    }

    /// How many SSH connections a host's sshd accepted (its VERBOSE log).
    pub fn connections(&self, name: &str) -> usize {
        fs::read_to_string(&self.host(name).log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("Connection from"))
            .count()
    }

    pub fn read(&self, host: &str, file: &str) -> String {
        fs::read_to_string(self.host(host).dir.join(file)).unwrap_or_default()
    }

    /// Kill a host's sshd and every session process under it.
    pub fn kill_host(&self, name: &str) {
        self.signal_host(name, libc::SIGKILL);
    }

    /// Send `sig` to a host's sshd and every session process under it.
    pub fn signal_host(&self, name: &str, sig: i32) {
        let pid = self.host(name).pid;
        let mut all = vec![pid];
        let mut i = 0;
        while i < all.len() {
            all.extend(children(all[i]));
            i += 1;
        }
        for p in all {
            kill(p, sig);
        }
    }
}

/// Direct children of `pid` (from /proc).
fn children(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let stat = fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse::<i32>().ok());
        if ppid == Some(pid) {
            out.push(p);
        }
    }
    out
}

impl Drop for JumpLab {
    fn drop(&mut self) {
        let names: Vec<String> = self.hosts.iter().map(|h| h.name.clone()).collect();
        for n in names {
            self.kill_host(&n);
        }
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
    }
}
