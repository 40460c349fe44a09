//! Issue 17: network link failover on a real (namespaced) network. A branch router (its own
//! OpenSSH sshd, in a network namespace) has a primary uplink (veth) and a slower backup
//! (two TUN devices joined by a delay relay); the primary is black-holed (every packet
//! dropped, link still up). `runbooks/link-failover.yaml` moves the router's default route
//! to the backup, `runbooks/link-failback.yaml` moves it back; the effects are read from
//! the router's routing table (`ip route` inside its namespace).
//!
//! The lab needs root (network namespaces, veth and TUN devices). Where network namespaces
//! cannot be created, each test prints why and passes without running (the README says so);
//! a missing package is a failure, not a skip (scripts/test installs them).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

const PRIMARY: &str = "default via 198.51.100.2 dev wan0";
const BACKUP: &str = "default via 198.51.100.130 dev wwan0";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn lab_sh() -> PathBuf {
    root().join("examples/link-failover/lab.sh")
}

/// Can this machine create a network namespace? If not, say so (never skip silently).
fn netns_available(test: &str) -> bool {
    static PROBES: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "lf-probe-{}-{}",
        std::process::id(),
        PROBES.fetch_add(1, Ordering::SeqCst)
    );
    let out = Command::new("ip")
        .args(["netns", "add", &name])
        .output()
        .expect("`ip` not found: iproute2 is not installed (scripts/test installs it)");
    if out.status.success() {
        let _ = Command::new("ip").args(["netns", "del", &name]).status();
        return true;
    }
    // Straight to stderr, not through eprintln!: the test harness would capture that and
    // hide it for a test that passes, and a skip must never be silent.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: network namespaces cannot be created on this machine \
         (`ip netns add` failed: {}); the link-failover lab needs root and a kernel with \
         network namespaces",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    false
}

/// A started lab (examples/link-failover/lab.sh), stopped on drop even when the test fails.
struct Lab {
    _td: tempfile::TempDir,
    dir: PathBuf,
    env: HashMap<String, String>,
}

impl Lab {
    fn start() -> Lab {
        let td = tempfile::tempdir().unwrap();
        let dir = td.path().join("lab");
        let mut lab = Lab {
            _td: td,
            dir,
            env: HashMap::new(),
        };
        lab.sh("start");
        lab.env = std::fs::read_to_string(lab.dir.join("lab.env"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        lab
    }

    fn sh(&self, cmd: &str) {
        let out = Command::new(lab_sh())
            .arg(cmd)
            .arg(&self.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "lab.sh {cmd}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The router's default route, read inside its namespace.
    fn route(&self) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.env["NS_SITE"], "-4", "route", "show", "default"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `drctl CMD runbooks/RUNBOOK.yaml -i <lab inventory> ARGS...`
    fn drctl(&self, cmd: &str, runbook: &str, args: &[&str]) -> (Option<i32>, String) {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_drctl"))
            .env("DRCTL_STATE_DIR", self.dir.join("state"))
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .arg(cmd)
            .arg(root().join("runbooks").join(format!("{runbook}.yaml")))
            .arg("-i")
            .arg(self.dir.join("inventory.yaml"))
            .arg("--no-progress")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = Command::new(lab_sh()).arg("stop").arg(&self.dir).status();
    }
}

/// The rest of the line of run.sh's summary that starts with `name`.
fn line<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .trim()
}

/// Steps finished, in order, in the journal of the run of `runbook` in a state folder.
fn finished_steps(state: &Path, runbook: &str) -> Vec<String> {
    let run = std::fs::read_dir(state.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{runbook}-"))
        })
        .unwrap_or_else(|| panic!("no run of {runbook} in {}", state.display()));
    std::fs::read_to_string(run.join("journal.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["ev"] == "finished" && r["phase"] == "forward")
        .map(|r| r["step"].as_str().unwrap().to_string())
        .collect()
}

/// The example end to end: black-hole the primary, fail over, measure the client's
/// outage, heal, fail back.
#[test]
fn run_sh_fails_over_to_the_backup_and_back_with_a_measured_outage() {
    if !netns_available("run_sh_fails_over_to_the_backup_and_back_with_a_measured_outage") {
        return;
    }
    let td = tempfile::tempdir().unwrap();
    let dir = td.path().join("lab");
    struct Stop(PathBuf);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = Command::new(lab_sh()).arg("stop").arg(&self.0).status();
        }
    }
    let _stop = Stop(dir.clone());
    let out = Command::new(root().join("examples/link-failover/run.sh"))
        .arg(&dir)
        .env("DRCTL", env!("CARGO_BIN_EXE_drctl"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert_eq!(line(&text, "route before:"), PRIMARY, "{text}");
    assert_eq!(line(&text, "drctl failover exit code:"), "0", "{text}");
    assert_eq!(line(&text, "route after failover:"), BACKUP, "{text}");
    assert!(
        line(&text, "replies through the backup:")
            .parse::<u32>()
            .unwrap()
            > 0,
        "{text}"
    );
    // The outage is real (the primary drops everything until drctl switched) and bounded
    // (the probes that confirm the primary is down have ~1 s deadlines).
    let outage: u64 = line(&text, "client outage:")
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .parse()
        .unwrap();
    assert!(
        (500..15_000).contains(&outage),
        "outage {outage} ms: {text}"
    );
    assert_eq!(line(&text, "drctl failback exit code:"), "0", "{text}");
    assert_eq!(line(&text, "route after failback:"), PRIMARY, "{text}");
    assert_eq!(
        line(&text, "last reply:"),
        "service_ok_for_198.51.100.1",
        "the client's last reply came through the primary again: {text}"
    );
    assert_eq!(
        finished_steps(&dir.join("state"), "link-failover"),
        [
            "route-on-primary",
            "backup-answers",
            "primary-gateway-silent",
            "service-unreachable-on-primary",
            "switch-to-backup",
            "traffic-uses-backup",
            "service-through-backup"
        ]
    );
    assert_eq!(
        finished_steps(&dir.join("state"), "link-failback"),
        [
            "route-on-backup",
            "primary-healthy",
            "switch-to-primary",
            "traffic-uses-primary",
            "service-through-primary"
        ]
    );
    // run.sh stopped its lab: no namespace of it is left.
    let ns = String::from_utf8_lossy(
        &Command::new("ip")
            .args(["netns", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .to_string();
    let id = line(&text, "link lab ").split_whitespace().next().unwrap();
    assert!(!ns.contains(&format!("lf-{id}-")), "{ns}");
}

/// A dead backup stops the failover before anything changed; a verification that fails
/// after the switch puts the route back on the primary (exit 1).
#[test]
fn a_failed_failover_leaves_the_route_on_the_primary() {
    if !netns_available("a_failed_failover_leaves_the_route_on_the_primary") {
        return;
    }
    let lab = Lab::start();
    assert_eq!(lab.route(), PRIMARY);
    lab.sh("break-primary");

    // Both links dead: the precheck refuses, nothing ran after it.
    lab.sh("break-backup");
    let (code, err) = lab.drctl("failover", "link-failover", &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("backup-answers on router1: FAILED"), "{err}");
    assert!(!err.contains("switch-to-backup on router1"), "{err}");
    assert_eq!(lab.route(), PRIMARY);
    lab.sh("heal-backup");

    // The service does not answer through the backup (here: a port nothing listens on, as
    // when the 4G provider filters it): rolled back after the switch.
    let (code, err) = lab.drctl(
        "failover",
        "link-failover",
        &["-e", "service_url=http://203.0.113.10:81/"],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("switch-to-backup on router1: ok"), "{err}");
    assert!(
        err.contains("service-through-backup on router1: FAILED"),
        "{err}"
    );
    assert!(
        err.contains("Failed to connect to 203.0.113.10 port 81"),
        "curl's error is shown: {err}"
    );
    assert!(
        err.contains("rollback switch-to-backup on router1: ok"),
        "{err}"
    );
    assert_eq!(lab.route(), PRIMARY, "route not restored: {err}");
}

/// A drill with a healthy primary carries the site on the backup and switches back; a
/// failback refuses while the primary still drops packets, and passes once it is healed.
#[test]
fn drill_leaves_the_route_as_it_began_and_failback_waits_for_a_healthy_primary() {
    if !netns_available(
        "drill_leaves_the_route_as_it_began_and_failback_waits_for_a_healthy_primary",
    ) {
        return;
    }
    let lab = Lab::start();
    let before = lab.route();
    assert_eq!(before, PRIMARY);
    let (code, err) = lab.drctl("drill", "link-failover", &["--yes"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("switch-to-backup on router1: ok"), "{err}");
    assert!(
        err.contains("service-through-backup on router1: ok"),
        "{err}"
    );
    assert!(
        err.contains("rollback switch-to-backup on router1: ok"),
        "{err}"
    );
    assert_eq!(lab.route(), before, "the drill changed the route: {err}");

    lab.sh("break-primary");
    let (code, err) = lab.drctl("failover", "link-failover", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(lab.route(), BACKUP);

    // Still black-holed: the failback must not switch.
    let (code, err) = lab.drctl("cutover", "link-failback", &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("the primary link is not healthy yet"), "{err}");
    assert_eq!(lab.route(), BACKUP, "{err}");

    lab.sh("heal-primary");
    let (code, err) = lab.drctl("cutover", "link-failback", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("service-through-primary on router1: ok"),
        "{err}"
    );
    assert_eq!(lab.route(), PRIMARY, "{err}");
}
