//! Plain helpers for the transport tests that drive drctl directly against a lab (run a
//! command and read its raw `Output`, or spawn it to signal it mid-run), beside the
//! `Drctl` builder.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::lab::Lab;

/// drctl with a private state folder, no colours, no agent.
pub fn drctl(state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_drctl"));
    c.env("DRCTL_STATE_DIR", state)
        .env_remove("SSH_AUTH_SOCK")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

/// `drctl CMD RUNBOOK -i INVENTORY` in the lab's state folder.
pub fn run_cmd(lab: &Lab, cmd: &str, rb: &Path, inv: &Path) -> std::process::Output {
    drctl(&lab.path().join("state"))
        .arg(cmd)
        .arg(rb)
        .arg("-i")
        .arg(inv)
        .output()
        .expect("run drctl")
}

/// The same, started in the background (stderr piped) to be signalled or waited on.
pub fn spawn_cmd(lab: &Lab, cmd: &str, rb: &Path, inv: &Path) -> Child {
    drctl(&lab.path().join("state"))
        .arg(cmd)
        .arg(rb)
        .arg("-i")
        .arg(inv)
        .arg("--no-progress")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start drctl")
}
