//! Issue 13 point 8, who did it: a run started through real `sudo` records the account and
//! the person behind sudo (`SUDO_USER`, as sudo sets it) in the journal, the audit journal
//! and every report format; `drctl --version` names the commit; reports name the drctl.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::builder::{Drctl, bin};

const RB: &str = "drctl: 1\nkind: restore\nname: who-demo\nsteps:\n  - id: one\n    on: local\n    run: id -un > \"$WHO_OUT\"\n";

#[test]
fn a_run_through_sudo_records_the_operator_behind_it_everywhere() {
    if !Path::new("/usr/bin/sudo").exists()
        || !Command::new("id")
            .arg("nobody")
            .status()
            .is_ok_and(|s| s.success())
    {
        panic!("sudo and the `nobody` account are needed: scripts/test installs sudo");
    }
    let sb = Drctl::new().runbook("rb.yaml", RB).sandbox().clone();
    std::fs::set_permissions(sb.root(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let who_out = sb.path("who-out");
    // Real sudo, from this test's account (root here) to `nobody`: sudo itself sets
    // SUDO_USER to the account that called it.
    let me = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let me = me.trim();
    sb.drctl()
        .program(Path::new("/usr/bin/sudo"))
        .args([
            "-u",
            "nobody",
            "--preserve-env=DRCTL_STATE_DIR,NO_COLOR,WHO_OUT",
        ])
        .env("WHO_OUT", &who_out)
        .arg(bin())
        .args(["restore", "{runbook}"])
        .run()
        .status(0);
    assert_eq!(
        std::fs::read_to_string(&who_out).unwrap(),
        "nobody\n",
        "the command ran as nobody"
    );
    let journal = sb.journal();
    let header: serde_json::Value = serde_json::from_str(journal.lines().next().unwrap()).unwrap();
    assert_eq!(header["user"], "nobody");
    assert_eq!(header["sudo_user"], me);
    assert!(
        header["drctl_version"]
            .as_str()
            .unwrap()
            .contains("(commit "),
        "{header}"
    );
    let audit = std::fs::read_to_string(sb.state().join("audit.jsonl")).unwrap();
    for line in audit.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            (e["who"].as_str(), e["sudo_user"].as_str()),
            (Some("nobody"), Some(me)),
            "{line}"
        );
    }
    let run = sb.run_id();
    let by = format!("nobody (sudo from {me})");
    let version = String::from_utf8(
        Command::new(bin())
            .arg("--version")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let version = version.trim().strip_prefix("drctl ").unwrap().to_string();
    for format in ["md", "json", "html", "junit"] {
        // The state belongs to `nobody`: read it as `nobody` too.
        let out = sb
            .drctl()
            .program(Path::new("/usr/bin/sudo"))
            .args(["-u", "nobody", "--preserve-env=DRCTL_STATE_DIR,NO_COLOR"])
            .arg(bin())
            .args(["report", &run, "--format", format])
            .run();
        out.status(0);
        let text = out.stdout();
        match format {
            "json" => {
                let j = out.json();
                assert_eq!(
                    (j["user"].as_str(), j["sudo_user"].as_str()),
                    (Some("nobody"), Some(me)),
                    "{j}"
                );
                assert_eq!(j["drctl_version"].as_str(), Some(version.as_str()));
            }
            "junit" => assert!(
                text.contains(&format!("name=\"sudo_user\" value=\"{me}\"")),
                "{text}"
            ),
            _ => {
                assert!(text.contains(&by), "{format}: {text}");
                assert!(text.contains(&version), "{format} names the drctl: {text}");
            }
        }
    }
    let status = sb
        .drctl()
        .program(Path::new("/usr/bin/sudo"))
        .args(["-u", "nobody", "--preserve-env=DRCTL_STATE_DIR,NO_COLOR"])
        .arg(bin())
        .args(["status", &run])
        .run();
    status.status(0).stdout_has(&format!("by {by} at"));
}

#[test]
fn version_names_the_commit() {
    let out = Command::new(bin()).arg("--version").output().unwrap();
    let v = String::from_utf8(out.stdout).unwrap();
    assert!(
        v.starts_with(&format!("drctl {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(h) = head.ok().filter(|h| h.status.success()) {
        let h = String::from_utf8(h.stdout).unwrap();
        assert!(
            v.contains(&format!("(commit {}", h.trim())),
            "{v} vs HEAD {h}"
        );
    } else {
        assert!(v.contains("commit unknown"), "{v}");
    }
    // The man pages keep the plain version (they would go stale with every commit).
    let man =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("man/drctl.1")).unwrap();
    assert!(!man.contains("(commit "));
}
