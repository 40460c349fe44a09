//! Benchmark: `drctl validate` on 1,000 generated runbooks of 20 steps each (one folder,
//! one inventory, templates, captures, rollbacks, gates), in process and through the CLI;
//! and the CLI on one runbook (process start to exit), averaged.
//!
//!     cargo bench --bench validate          # 1,000 runbooks
//!     cargo bench --bench validate -- 200   # another count
//!
//! Under `cargo test --all-targets` it runs once with 20 runbooks as a smoke test.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn runbook(i: usize) -> String {
    let mut s = format!(
        "drctl: 1\nkind: failover\nname: gen-{i}\ndescription: generated runbook {i}\nseverity: P1\nobjectives:\n  rto: 5m\ninventory: inventory.yaml\nvars:\n  pgdata: /var/lib/postgresql/15/main\n  token: {{ env: TOKEN, secret: true }}\ndefaults:\n  timeout: 2m\n  on_failure: rollback\nsteps:\n"
    );
    for k in 0..20 {
        match k % 5 {
            0 => s.push_str(&format!(
                "  - id: check-{k}\n    phase: precheck\n    on: standby\n    run: pg_isready -h {{{{ host.addr }}}} -p 5432\n    expect: {{ exit: 0, contains: accepting }}\n"
            )),
            1 => s.push_str(&format!(
                "  - id: fence-{k}\n    phase: failover\n    on: primary\n    run: systemctl stop postgresql@15-main\n    rollback: systemctl start postgresql@15-main\n    timeout: 30s\n    on_failure: continue\n"
            )),
            2 => s.push_str(&format!(
                "  - id: lsn-{k}\n    on: standby\n    run: psql -tAc \"select pg_last_wal_replay_lsn()\" -d {{{{ pgdata }}}}\n    capture: lsn_{k}\n    retries: 2\n    retry_delay: 1s\n"
            )),
            3 => s.push_str(&format!(
                "  - id: wait-{k}\n    phase: verify\n    on: standby\n    run: 'echo {{{{ lsn_{} }}}} && curl -H \"Authorization: {{{{ token }}}}\" http://{{{{ host.addr }}}}/health'\n    until: {{ regex: \"^ok\" }}\n    interval: 1s\n    timeout: 60s\n",
                k - 1
            )),
            _ => s.push_str(&format!("  - id: gate-{k}\n    approve: \"Promote {{{{ groups.standby }}}} ({k})?\"\n")),
        }
    }
    s
}

const INVENTORY: &str = "defaults:\n  user: postgres\nhosts:\n  db1: { addr: 10.0.0.1 }\n  db2: { addr: 10.0.0.2 }\ngroups:\n  primary: [db1]\n  standby: [db2]\n";

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if bench { 1000 } else { 20 });
    let td = tempfile::tempdir().unwrap();
    let dir = td.path();
    std::fs::write(dir.join("inventory.yaml"), INVENTORY).unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("rb-{i:04}.yaml")), runbook(i)).unwrap();
    }

    // In process: read, parse, check every file (what the CLI does minus printing).
    let t = Instant::now();
    let report = drctl::validate::validate_paths(&[dir.to_path_buf()], None, &BTreeSet::new());
    let in_process = t.elapsed();
    assert_eq!(report.files.len(), n);
    assert_eq!(
        report.errors(),
        0,
        "{:?}",
        report.diagnostics.first().map(|d| d.short())
    );

    // The CLI on the whole folder.
    let t = Instant::now();
    let out = cli(dir);
    let folder = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The CLI on one runbook, averaged.
    let one = dir.join("rb-0000.yaml");
    let reps = if bench { 50 } else { 3 };
    let t = Instant::now();
    for _ in 0..reps {
        assert!(cli(&one).status.success());
    }
    let single = t.elapsed() / reps;

    println!(
        "validate {n} runbooks x 20 steps: {:.1} ms in process ({:.3} ms per runbook), {:.1} ms with `drctl validate DIR`",
        in_process.as_secs_f64() * 1e3,
        in_process.as_secs_f64() * 1e3 / n as f64,
        folder.as_secs_f64() * 1e3
    );
    println!(
        "drctl validate on one runbook, process start to exit: {:.2} ms (mean of {reps})",
        single.as_secs_f64() * 1e3
    );
}

fn cli(path: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_drctl"))
        .args(["validate", "--format", "short"])
        .arg(path)
        .output()
        .unwrap()
}
