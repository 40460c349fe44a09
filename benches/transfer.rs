//! Benchmark (issue 12): drctl `upload`/`download` against OpenSSH `scp` on the same
//! loopback link, for one file of SIZE MiB each way to one host, and one file to 10 hosts
//! at once; every copy's sha256 checked afterwards.
//!
//!     cargo bench --bench transfer            # 1024 MiB to 1 host, 256 MiB to 10 hosts
//!     cargo bench --bench transfer -- 512 64  # sizes in MiB

#[allow(dead_code)]
#[path = "../tests/integration/lab.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn sha(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

fn scp(lab: &common::Lab, h: &common::LabHost, from: &str, to: &str) -> Command {
    let mut c = Command::new("scp");
    c.args(["-q", "-o", "BatchMode=yes", "-P", &h.port.to_string(), "-i"])
        .arg(&lab.key)
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", lab.known_hosts.display()))
        .args([from, to]);
    c
}

fn drctl(lab: &common::Lab, rb: &Path, inv: &Path) -> (f64, String) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_drctl"))
        .env("DRCTL_STATE_DIR", lab.path().join("state"))
        .env("NO_COLOR", "1")
        .args(["run", "--no-progress", "--force-new"])
        .arg(rb)
        .arg("-i")
        .arg(inv)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    (t.elapsed().as_secs_f64(), err)
}

fn rates(err: &str) -> Vec<String> {
    err.lines()
        .filter_map(|l| {
            let r = l.split(" bytes in ").nth(1)?;
            Some(r.split(" (").next().unwrap_or(r).to_string())
        })
        .collect()
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (big, fan) = match args.as_slice() {
        [a, b] => (*a, *b),
        // `cargo test --all-targets` runs benches once as smoke tests: small sizes there.
        _ if !std::env::args().any(|a| a == "--bench") => (16, 4),
        _ => (1024, 256),
    };
    let lab = common::Lab::start(10);
    let inv = lab.inventory(&[]);
    let src = lab.path().join("src.bin");
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "head -c {} /dev/urandom > '{}'",
            big << 20,
            src.display()
        ))
        .status()
        .unwrap();
    assert!(st.success());
    let want = sha(&src);
    let mb = (big << 20) as f64 / 1e6;
    let h1 = lab.host("h1");
    let user_at =
        |h: &common::LabHost, p: &Path| format!("{}@{}:{}", lab.user, h.addr, p.display());

    // scp, both ways.
    let up = h1.dir.join("scp-up.bin");
    let t = Instant::now();
    assert!(
        scp(&lab, h1, &src.display().to_string(), &user_at(h1, &up))
            .status()
            .unwrap()
            .success()
    );
    let scp_up = mb / t.elapsed().as_secs_f64();
    assert_eq!(sha(&up), want);
    let down = lab.path().join("scp-down.bin");
    let t = Instant::now();
    assert!(
        scp(&lab, h1, &user_at(h1, &up), &down.display().to_string())
            .status()
            .unwrap()
            .success()
    );
    let scp_down = mb / t.elapsed().as_secs_f64();
    assert_eq!(sha(&down), want);
    let _ = std::fs::remove_file(&up);
    let _ = std::fs::remove_file(&down);

    // drctl, both ways (wall of the whole run, and the rate it reports).
    let dest = h1.dir.join("drctl-up.bin");
    let rb = lab.runbook(
        "up.yaml",
        &format!("drctl: 1\nkind: restore\nname: bench-up\nsteps:\n  - id: up\n    on: h1\n    upload: {{ src: src.bin, dest: \"{}\" }}\n", dest.display()),
    );
    let (wall_up, err_up) = drctl(&lab, &rb, &inv);
    assert_eq!(sha(&dest), want);
    let rb = lab.runbook(
        "down.yaml",
        &format!("drctl: 1\nkind: restore\nname: bench-down\nsteps:\n  - id: down\n    on: h1\n    download: {{ src: \"{}\", dest: back.bin }}\n", dest.display()),
    );
    let (wall_down, err_down) = drctl(&lab, &rb, &inv);
    assert_eq!(sha(&lab.path().join("back.bin")), want);
    let _ = std::fs::remove_file(&dest);
    let _ = std::fs::remove_file(lab.path().join("back.bin"));
    let (d_up, d_down) = (mb / wall_up, mb / wall_down);
    println!("{big} MiB to 1 host over loopback:");
    println!("  scp   up {scp_up:6.1} MB/s   down {scp_down:6.1} MB/s");
    println!(
        "  drctl up {d_up:6.1} MB/s ({:.0}% of scp; step says {:?})   down {d_down:6.1} MB/s ({:.0}% of scp; step says {:?})   (whole run, process start included)",
        100.0 * d_up / scp_up,
        rates(&err_up),
        100.0 * d_down / scp_down,
        rates(&err_down)
    );

    // One file to 10 hosts at once.
    let small = lab.path().join("fan.bin");
    assert!(
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "head -c {} '{}' > '{}'",
                fan << 20,
                src.display(),
                small.display()
            ))
            .status()
            .unwrap()
            .success()
    );
    let _ = std::fs::remove_file(&src);
    let want = sha(&small);
    let fmb = (fan << 20) as f64 / 1e6;
    let t = Instant::now();
    let kids: Vec<_> = lab
        .hosts
        .iter()
        .map(|h| {
            scp(
                &lab,
                h,
                &small.display().to_string(),
                &user_at(h, &h.dir.join("scp.bin")),
            )
            .spawn()
            .unwrap()
        })
        .collect();
    for mut k in kids {
        assert!(k.wait().unwrap().success());
    }
    let scp_fan = t.elapsed().as_secs_f64();
    for h in &lab.hosts {
        assert_eq!(sha(&h.dir.join("scp.bin")), want);
        let _ = std::fs::remove_file(h.dir.join("scp.bin"));
    }
    let rb = lab.runbook(
        "fan.yaml",
        "drctl: 1\nkind: restore\nname: bench-fan\nsteps:\n  - id: fan\n    on: all\n    upload: { src: fan.bin, dest: \"{{ host.name }}.bin\" }\n",
    );
    // dest relative to the remote's home: put it in each host's folder instead.
    let text = std::fs::read_to_string(&rb).unwrap().replace(
        "dest: \"{{ host.name }}.bin\"",
        &format!(
            "dest: \"{}/hosts/{{{{ host.name }}}}/drctl.bin\"",
            lab.path().display()
        ),
    );
    std::fs::write(&rb, text).unwrap();
    let (wall_fan, err_fan) = drctl(&lab, &rb, &inv);
    for h in &lab.hosts {
        assert_eq!(sha(&h.dir.join("drctl.bin")), want);
    }
    println!(
        "{fan} MiB to 10 hosts at once: scp (10 in parallel) {scp_fan:.1} s ({:.1} MB/s per host), drctl {wall_fan:.1} s ({:.1} MB/s per host; per host: {:?})",
        fmb / scp_fan,
        fmb / wall_fan,
        rates(&err_fan)
    );
}
