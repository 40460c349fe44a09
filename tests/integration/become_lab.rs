//! The lab of the `become` tests: lab users with sudoers rules (created idempotently,
//! under a lock, for tests of other worktrees may run at once) and real sshd hosts they
//! log into: `drctl-op` (NOPASSWD sudo to root and to the service account `drctl-svc`)
//! and `drctl-op2` (sudo with a password).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::builder::Drctl;
use crate::lab::Lab;

/// drctl-op2's sudo password (set with chpasswd by every run: always this value).
pub const PASSWORD: &str = "Vq7-become-lab-pw-31415";
const SUDOERS: &str = "/etc/sudoers.d/drctl-become-lab";

pub fn sh(line: &str) -> String {
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(line)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn uid(user: &str) -> u32 {
    sh(&format!("id -u {user}")).trim().parse().unwrap()
}

/// The lab users and their sudoers rule, created once per machine (under a lock).
pub fn lab_users() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "the become tests create users: run them as root"
    );
    assert!(
        Path::new("/usr/bin/sudo").exists(),
        "sudo is not installed: scripts/test installs it"
    );
    let lock = fs::File::create("/run/lock/drctl-become-lab.lock").unwrap();
    // SAFETY: flock on a descriptor we own; released when `lock` is dropped.
    assert_eq!(
        unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) },
        0
    );
    for (user, args) in [
        ("drctl-svc", "-r -M -s /usr/sbin/nologin"),
        ("drctl-op", "-m -s /bin/sh"),
        ("drctl-op2", "-m -s /bin/sh"),
    ] {
        sh(&format!(
            "id -u {user} >/dev/null 2>&1 || useradd {args} {user}"
        ));
    }
    // Key logins with `UsePAM no` need an unlocked password field.
    sh("usermod -p '*' drctl-op");
    sh(&format!("echo 'drctl-op2:{PASSWORD}' | chpasswd"));
    let rule = "drctl-op ALL=(root,drctl-svc) NOPASSWD: ALL\ndrctl-op2 ALL=(root,drctl-svc) ALL\n";
    if fs::read_to_string(SUDOERS).ok().as_deref() != Some(rule) {
        let tmp = format!("{SUDOERS}.tmp-{}", std::process::id());
        fs::write(&tmp, rule).unwrap();
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o440)).unwrap();
        sh(&format!("visudo -c -q -f {tmp}"));
        // sudo ignores names with a dot: the temporary file is never read as a rule.
        fs::rename(&tmp, SUDOERS).unwrap();
    }
}

/// A lab whose hosts the lab users can log into, with `out/` (anyone may write) and
/// `rootonly/` (root's, 0700) beside it.
pub struct BecomeLab {
    pub lab: Lab,
    pub out: PathBuf,
    pub rootonly: PathBuf,
}

impl BecomeLab {
    pub fn start(n: usize) -> Self {
        lab_users();
        let lab = Lab::start(n);
        // sshd reads authorized_keys as the user logging in.
        fs::set_permissions(lab.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(
            lab.path().join("authorized_keys"),
            fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let out = lab.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::set_permissions(&out, fs::Permissions::from_mode(0o1777)).unwrap();
        let rootonly = lab.path().join("rootonly");
        fs::create_dir(&rootonly).unwrap();
        fs::set_permissions(&rootonly, fs::Permissions::from_mode(0o700)).unwrap();
        BecomeLab { lab, out, rootonly }
    }

    /// An inventory: `defaults_extra` and per-host lines (`h1: "user: drctl-op, ..."`).
    pub fn inventory(&self, defaults_extra: &str, hosts: &[(&str, &str)]) -> PathBuf {
        let mut s = format!(
            "defaults:\n  identity: {}\n  known_hosts: {}\n  connect_timeout: 3s\n{defaults_extra}hosts:\n",
            self.lab.key.display(),
            self.lab.known_hosts.display()
        );
        for (name, extra) in hosts {
            let h = self.lab.host(name);
            s.push_str(&format!(
                "  {name}: {{ addr: {}, port: {}, {extra} }}\n",
                h.addr, h.port
            ));
        }
        let p = self.lab.path().join("become-inventory.yaml");
        fs::write(&p, s).unwrap();
        p
    }

    pub fn drctl(&self, inv: &Path, rb: &str) -> Drctl {
        Drctl::new()
            .dir(self.lab.path())
            .inventory(inv)
            .runbook("rb.yaml", rb)
    }

    pub fn read(&self, file: &str) -> String {
        fs::read_to_string(self.out.join(file))
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

pub fn owner(p: &Path) -> u32 {
    fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .uid()
}

/// Every file under `dir`, as text (lossy).
pub fn all_text(dir: &Path, into: &mut String) {
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            all_text(&p, into);
        } else if let Ok(b) = fs::read(&p) {
            into.push_str(&String::from_utf8_lossy(&b));
        }
    }
}
