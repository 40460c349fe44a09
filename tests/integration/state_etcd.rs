//! Shared state on a real 3-member etcd cluster (Debian's `etcd-server`) on loopback:
//! a run journaled in etcd and read back by `runs`/`status`/`report`/`audit verify`; two
//! controllers racing for one runbook; a controller frozen past its lease is fenced.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::builder::bin;

pub(crate) use crate::etcd_cluster::Cluster;

pub(crate) fn drctl(c: &Cluster, dir: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir)
        .env("DRCTL_STATE", &c.url)
        // Any local state would go here: the test checks nothing does.
        .env("DRCTL_STATE_DIR", dir.join("local-state"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

pub(crate) fn out(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Steps `one` (marks `one-start`, records its `DRCTL_*` env, sleeps, marks `one`) and
/// `two` on the controller, their effects in `dir/effects`.
pub(crate) fn runbook(dir: &Path, name: &str, first_sleep: &str) -> PathBuf {
    let effects = dir.join("effects");
    let p = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &p,
        format!(
            "drctl: 1\nkind: failover\nname: {name}\ndescription: etcd test\nseverity: P2\nsteps:\n  - id: one\n    on: local\n    run: echo one-start >> {e}; echo $DRCTL_RUN_ID $DRCTL_STEP_ID $DRCTL_EPOCH >> {e}.env; sleep {first_sleep}; echo one >> {e}\n    idempotent: true\n  - id: two\n    on: local\n    run: echo two >> {e}\n    idempotent: true\n",
            e = effects.display()
        ),
    )
    .unwrap();
    p
}

/// `(run id, step id, epoch)` of every command of step `one`, from its `DRCTL_*` env.
fn fence_env(dir: &Path) -> Vec<(String, String, u64)> {
    std::fs::read_to_string(dir.join("effects.env"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            (
                w[0].to_string(),
                w[1].to_string(),
                w[2].parse().unwrap_or_else(|e| panic!("{l:?}: {e}")),
            )
        })
        .collect()
}

/// How many times `word` was marked in `dir/effects`.
pub(crate) fn effects(dir: &Path, word: &str) -> usize {
    std::fs::read_to_string(dir.join("effects"))
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == word)
        .count()
}

#[test]
fn a_run_journaled_in_etcd_reads_back_like_a_directory() {
    let Some(c) = Cluster::start() else { return };
    let td = tempfile::tempdir().unwrap();
    let rb = runbook(td.path(), "etcd-read", "0");
    let o = drctl(&c, td.path())
        .args(["run", "--yes"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    for args in [
        &["runs"][..],
        &["status"],
        &["report"],
        &["audit", "verify"],
        &["watch", "--no-progress"],
    ] {
        let o = drctl(&c, td.path()).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", out(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        match args[0] {
            "runs" | "status" => assert!(text.contains("succeeded"), "{args:?}: {text}"),
            "report" => assert!(text.contains("etcd-read"), "{text}"),
            // An ended run: its story at once, then the run's own exit code (0 above).
            "watch" => assert!(text.contains("succeeded"), "{args:?}: {text}"),
            _ => assert!(text.contains("intact"), "{text}"),
        }
    }
    assert!(
        !td.path().join("local-state").exists(),
        "nothing is stored locally"
    );
    assert_eq!(
        (effects(td.path(), "one"), effects(td.path(), "two")),
        (1, 1)
    );
}

#[test]
fn two_controllers_starting_one_runbook_at_once_one_proceeds_the_other_exits_4() {
    let Some(c) = Cluster::start() else { return };
    let td = tempfile::tempdir().unwrap();
    let rb = runbook(td.path(), "etcd-race", "2");
    let spawn = || {
        drctl(&c, td.path())
            .args(["run", "--yes"])
            .arg(&rb)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut codes = [a.status.code(), b.status.code()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(4)], "A {}\nB {}", out(&a), out(&b));
    let loser = if a.status.code() == Some(4) { &a } else { &b };
    assert!(
        String::from_utf8_lossy(&loser.stderr).contains("locked by run"),
        "{}",
        out(loser)
    );
    assert_eq!(
        (effects(td.path(), "one"), effects(td.path(), "two")),
        (1, 1)
    );
}

#[test]
fn a_controller_frozen_past_its_lease_is_fenced_and_sends_nothing_more() {
    let Some(c) = Cluster::start() else { return };
    let td = tempfile::tempdir().unwrap();
    let rb = runbook(td.path(), "etcd-fence", "1.5");
    let a = drctl(&c, td.path())
        .args(["run", "--yes", "--lease-ttl", "2"])
        .arg(&rb)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Freeze A while step `one` runs (its command keeps running on the host).
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: signalling our own child by its pid.
    assert_eq!(unsafe { libc::kill(a.id() as i32, libc::SIGSTOP) }, 0);
    std::thread::sleep(Duration::from_secs(5)); // past A's 2 s lease
    let b = drctl(&c, td.path())
        .args(["run", "--yes", "--force-new"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(b.status.code(), Some(0), "B {}", out(&b));
    assert_eq!(unsafe { libc::kill(a.id() as i32, libc::SIGCONT) }, 0);
    let a = a.wait_with_output().unwrap();
    assert_eq!(a.status.code(), Some(6), "A {}", out(&a));
    assert!(
        String::from_utf8_lossy(&a.stderr).contains("fenced: another controller owns run"),
        "{}",
        out(&a)
    );
    // Its final line says what the process exits with.
    let last = String::from_utf8_lossy(&a.stderr)
        .lines()
        .rev()
        .find(|l| l.contains("(exit "))
        .unwrap_or_default()
        .to_string();
    assert!(
        last.contains("fenced") && last.contains("(exit 6)"),
        "{last}"
    );
    // A's in-flight `one` finished on the host; A never sent `two`: only B's.
    assert_eq!(effects(td.path(), "two"), 1, "{}", out(&a));
    // Both controllers' commands carried their epoch; the later holder's is higher.
    let env = fence_env(td.path());
    assert_eq!(env.len(), 2, "{env:?}");
    assert!(env[0].0 != env[1].0 && env[0].2 < env[1].2, "{env:?}");
    let o = drctl(&c, td.path())
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn resume_takeover_waits_out_a_frozen_holders_lease_and_finishes_its_run() {
    let Some(c) = Cluster::start() else { return };
    let td = tempfile::tempdir().unwrap();
    let rb = runbook(td.path(), "etcd-takeover", "2");
    // A's lease is longer than B's own --lease-ttl: B waits out A's (5 s), not its own.
    let a = drctl(&c, td.path())
        .args(["run", "--yes", "--lease-ttl", "5"])
        .arg(&rb)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for A's run to be journaled in etcd, then freeze A inside step `one`.
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        let o = drctl(&c, td.path())
            .args(["runs", "--format", "json"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        if let Some(i) = text.find("etcd-takeover-") {
            let id: String = text[i..]
                .chars()
                .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '-')
                .collect();
            break id;
        }
        assert!(Instant::now() < deadline, "A's run never appeared: {text}");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: signalling our own child by its pid.
    assert_eq!(unsafe { libc::kill(a.id() as i32, libc::SIGSTOP) }, 0);
    let t0 = Instant::now();
    let b = drctl(&c, td.path())
        .args([
            "resume",
            "--takeover",
            "--rerun",
            "one",
            "--yes",
            "--lease-ttl",
            "1",
        ])
        .arg(&id)
        .output()
        .unwrap();
    assert_eq!(b.status.code(), Some(0), "B {}", out(&b));
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "bounded by the holder's lease"
    );
    assert_eq!(unsafe { libc::kill(a.id() as i32, libc::SIGCONT) }, 0);
    let a = a.wait_with_output().unwrap();
    assert_eq!(a.status.code(), Some(6), "A {}", out(&a));
    // `two` ran once, by B; `one` ran twice only because B asked for --rerun one.
    assert_eq!(
        (effects(td.path(), "one"), effects(td.path(), "two")),
        (2, 1)
    );
    let env = fence_env(td.path());
    assert!(
        env.len() == 2 && env[0].0 == env[1].0 && env[0].2 < env[1].2,
        "{env:?}"
    );
    let o = drctl(&c, td.path())
        .args(["status"])
        .arg(&id)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("succeeded"),
        "{}",
        out(&o)
    );
    let o = drctl(&c, td.path())
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}
