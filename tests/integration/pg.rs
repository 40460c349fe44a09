//! The PostgreSQL DR examples (examples/*/run.sh) run as tests: each gets its own
//! loopback network (NET, see `net`) and a temporary lab folder.

use std::path::Path;

use crate::builder::{Drctl, Outcome};

/// Loopback network number `n` (0..=55) of this test process, 127.A.(200 + n): its own
/// (lab.rs keeps its sshd hosts below 200), and another test process's A differs.
pub fn net(n: u32) -> String {
    format!("127.{}.{}", crate::lab::net_a(), 200 + n)
}

/// Run `examples/<name>/run.sh` with drctl from this build on a lab in `{dir}` (a fresh
/// temporary folder, the run's state in `{dir}/state`); `extra` goes to drctl (`EXTRA`).
pub fn run_example(name: &str, net: &str, extra: &str) -> Outcome {
    assert!(
        Path::new("/usr/lib/postgresql/15/bin/postgres").exists(),
        "PostgreSQL 15 is not installed: the README's test command (scripts/test) installs it"
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
        .join("run.sh");
    let d = Drctl::new();
    let lab = d.sandbox().path("lab");
    d.dir(&lab)
        .program(&script)
        .arg("{dir}")
        .env("NET", net)
        .env("EXTRA", extra)
        .run()
}

/// The first word after `name` on the line of the script's summary that starts with it.
pub fn field(out: &Outcome, name: &str) -> String {
    let text = out.output();
    let line = text
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in {text}"));
    line[name.len()..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}
