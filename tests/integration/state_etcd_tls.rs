//! Production etcd options against a real etcd: TLS with client-certificate auth (CA and
//! certificates made by Debian's `openssl` in the test), a wrong CA and a missing client
//! certificate refused at once with a clear error; and etcd's own users (`auth enable`):
//! the right password works, a wrong one or none is refused. The password is taken only
//! from DRCTL_ETCD_PASSWORD.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::builder::bin;
use crate::state_etcd::out;

/// One etcd member, stopped by pid on drop.
struct Single {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Single {
    fn drop(&mut self) {
        crate::lab::kill(self.child.id() as i32, libc::SIGKILL);
        let _ = self.child.wait();
    }
}

/// Two free loopback ports, found by binding port 0 twice at once (released before etcd
/// binds them).
fn ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

fn start(dir: tempfile::TempDir, tls: &[&str], scheme: &str) -> Single {
    let (port, peer) = ports();
    let child = Command::new("etcd")
        .args(["--name", "s"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args([
            "--listen-client-urls",
            &format!("{scheme}://127.0.0.1:{port}"),
        ])
        .args([
            "--advertise-client-urls",
            &format!("{scheme}://127.0.0.1:{port}"),
        ])
        .args(["--listen-peer-urls", &format!("http://127.0.0.1:{peer}")])
        .args([
            "--initial-advertise-peer-urls",
            &format!("http://127.0.0.1:{peer}"),
        ])
        .args(["--initial-cluster", &format!("s=http://127.0.0.1:{peer}")])
        .args(tls)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("etcd.log")).unwrap(),
        ))
        .spawn()
        .expect("etcd starts");
    Single {
        child,
        port,
        _dir: dir,
    }
}

fn etcdctl(s: &Single, scheme: &str, extra: &[&str], args: &[&str]) -> bool {
    Command::new("etcdctl")
        .arg(format!("--endpoints={scheme}://127.0.0.1:{}", s.port))
        .current_dir(s._dir.path())
        .args(extra)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn wait_up(s: &Single, scheme: &str, extra: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !etcdctl(s, scheme, extra, &["put", "/probe", "x"]) {
        assert!(
            Instant::now() < deadline,
            "etcd did not come up: {}",
            std::fs::read_to_string(s._dir.path().join("etcd.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl");
    assert!(o.status.success(), "openssl {args:?}: {}", out(&o));
}

/// A CA `NAME.pem`/`NAME.key`.
fn ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

/// A certificate `NAME.pem`/`NAME.key` signed by `ca.pem`.
fn cert(dir: &Path, name: &str, ext: &str) {
    std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &format!("{name}.pem"),
            "-extfile",
            &format!("{name}.ext"),
        ],
    );
}

fn drctl(dir: &Path, url: &str) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(dir)
        .env("DRCTL_STATE", url)
        .env("DRCTL_STATE_DIR", dir.join("local-state"))
        .env_remove("DRCTL_ETCD_PASSWORD")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

fn runbook(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("tls.yaml");
    std::fs::write(
        &p,
        format!(
            "drctl: 1\nkind: failover\nname: etcd-tls\ndescription: tls\nseverity: P2\nsteps:\n  - id: one\n    on: local\n    run: echo one >> {}\n",
            dir.join("effects").display()
        ),
    )
    .unwrap();
    p
}

fn have_tools() -> bool {
    let ok = [
        ("etcd", "--version"),
        ("etcdctl", "version"),
        ("openssl", "version"),
    ]
    .iter()
    .all(|(t, a)| Command::new(t).arg(a).output().is_ok());
    if !ok {
        eprintln!("skipped: needs etcd, etcdctl and openssl");
    }
    ok
}

#[test]
fn tls_with_client_certificates_runs_and_a_wrong_ca_is_refused_at_once() {
    if !have_tools() {
        return;
    }
    let td = tempfile::tempdir().unwrap();
    let d = td.path().to_path_buf();
    ca(&d, "ca");
    ca(&d, "otherca");
    cert(
        &d,
        "server",
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    );
    cert(&d, "client", "extendedKeyUsage=clientAuth\n");
    let s = start(
        td,
        &[
            "--cert-file",
            "server.pem",
            "--key-file",
            "server.key",
            "--client-cert-auth",
            "--trusted-ca-file",
            "ca.pem",
        ],
        "https",
    );
    let tls = [
        "--cacert",
        "ca.pem",
        "--cert",
        "client.pem",
        "--key",
        "client.key",
    ];
    wait_up(&s, "https", &tls);
    let url = format!("etcds://127.0.0.1:{}/tls", s.port);
    let ca_opt = ["--etcd-cacert", "ca.pem"];
    let client = ["--etcd-cert", "client.pem", "--etcd-key", "client.key"];
    let rb = runbook(&d);
    let o = drctl(&d, &url)
        .args(ca_opt)
        .args(client)
        .args(["run", "--yes"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // The same through the environment, read back.
    let o = drctl(&d, &url)
        .env("DRCTL_ETCD_CACERT", "ca.pem")
        .env("DRCTL_ETCD_CERT", "client.pem")
        .env("DRCTL_ETCD_KEY", "client.key")
        .args(["runs"])
        .output()
        .unwrap();
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("succeeded"),
        "{}",
        out(&o)
    );
    assert!(etcdctl(
        &s,
        "https",
        &tls,
        &["get", "--prefix", "/tls/runs/", "--keys-only"]
    ));
    assert!(!d.join("local-state").exists(), "nothing stored locally");
    // A CA that did not sign the server's certificate: refused at once, saying why.
    for (what, args, expect) in [
        (
            "wrong CA",
            vec![
                "--etcd-cacert",
                "otherca.pem",
                "--etcd-cert",
                "client.pem",
                "--etcd-key",
                "client.key",
            ],
            "UnknownIssuer",
        ),
        (
            "no client certificate",
            vec!["--etcd-cacert", "ca.pem"],
            "--etcd-cert",
        ),
        (
            "TLS files on etcd://",
            vec!["--etcd-cacert", "ca.pem"],
            "etcds://",
        ),
    ] {
        let u = if what.contains("etcd://") {
            url.replace("etcds://", "etcd://")
        } else {
            url.clone()
        };
        let t0 = Instant::now();
        let o = drctl(&d, &u).args(&args).arg("runs").output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", out(&o));
        assert!(err.contains(expect), "{what}: {err}");
        assert!(t0.elapsed() < Duration::from_secs(8), "{what}: no hang");
    }
    assert_eq!(std::fs::read_to_string(d.join("effects")).unwrap(), "one\n");
}

#[test]
fn etcd_users_the_right_password_works_a_wrong_one_or_none_is_refused() {
    if !have_tools() {
        return;
    }
    let td = tempfile::tempdir().unwrap();
    let d = td.path().to_path_buf();
    let s = start(td, &[], "http");
    wait_up(&s, "http", &[]);
    for a in [
        &["user", "add", "root:rootpw"][..],
        &["user", "add", "drctl:s3cret-pw"],
        &["role", "add", "dr"],
        &[
            "role",
            "grant-permission",
            "dr",
            "--prefix=true",
            "readwrite",
            "/team/",
        ],
        &["user", "grant-role", "drctl", "dr"],
        &["auth", "enable"],
    ] {
        assert!(etcdctl(&s, "http", &[], a), "etcdctl {a:?}");
    }
    let url = format!("etcd://127.0.0.1:{}/team", s.port);
    let rb = runbook(&d);
    let o = drctl(&d, &url)
        .env("DRCTL_ETCD_PASSWORD", "s3cret-pw")
        .args(["--etcd-user", "drctl", "run", "--yes"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("s3cret-pw"));
    let o = drctl(&d, &url)
        .env("DRCTL_ETCD_USER", "drctl")
        .env("DRCTL_ETCD_PASSWORD", "s3cret-pw")
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("intact"),
        "{}",
        out(&o)
    );
    for (what, pw, user, expect) in [
        (
            "wrong password",
            Some("nope"),
            Some("drctl"),
            "authentication failed",
        ),
        ("no password", None, Some("drctl"), "DRCTL_ETCD_PASSWORD"),
        ("no user", None, None, "user name is empty"),
    ] {
        let mut c = drctl(&d, &url);
        if let Some(p) = pw {
            c.env("DRCTL_ETCD_PASSWORD", p);
        }
        if let Some(u) = user {
            c.args(["--etcd-user", u]);
        }
        let o = c.arg("runs").output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{what}: {}", out(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(expect),
            "{what}: {}",
            out(&o)
        );
    }
    // The password is never an option.
    let o = drctl(&d, &url)
        .args(["--etcd-password", "x", "runs"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
}
