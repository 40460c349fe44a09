//! OpenSSH client config (`~/.ssh/config`), resolved by OpenSSH itself: `ssh -G -F FILE
//! ALIAS` prints the options that apply to a host after `Host`/`Match` blocks (with `!`
//! negation), `Include`, tokens and first-match-wins are applied; options the file does not
//! set are told apart from ssh's defaults by comparing with `ssh -G -F /dev/null`. No second
//! parser to drift from the one operators test their config with.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// What a config file sets for one host alias; `None`: the file does not set it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub hostname: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    /// The first `IdentityFile`, `~` expanded.
    pub identity: Option<PathBuf>,
    /// `ProxyJump` as written (`none` included: it turns a jump off).
    pub proxy_jump: Option<String>,
    /// The first `UserKnownHostsFile`, `~` expanded.
    pub known_hosts: Option<PathBuf>,
    pub connect_timeout: Option<Duration>,
    pub server_alive_interval: Option<Duration>,
    pub server_alive_count_max: Option<u32>,
}

/// Why a config could not be resolved: ssh's own message (file, line, option).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String, pub ErrorKind);

/// Whose fault a [`ConfigError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The OpenSSH client could not be run at all.
    NoSsh,
    /// ssh refused the config or the name.
    Config,
}

/// `key value` pairs of `ssh -G` output; keys lowercased, repeated keys kept in order.
pub fn parse_dump(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.trim().split_once(' ')?;
            Some((k.to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect()
}

fn values<'a>(dump: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    dump.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn first<'a>(dump: &'a [(String, String)], key: &str) -> Option<&'a str> {
    values(dump, key).into_iter().next()
}

fn expand_tilde(p: &str) -> PathBuf {
    if let Some(rest) = p.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    PathBuf::from(p)
}

/// What `dump` (ssh -G with the config) sets beyond `baseline` (ssh -G without one).
pub fn diff(dump: &[(String, String)], baseline: &[(String, String)], alias: &str) -> Resolved {
    let changed = |key: &str| {
        let v = values(dump, key);
        (!v.is_empty() && v != values(baseline, key)).then_some(v)
    };
    let secs = |v: &str| v.parse::<u64>().ok().map(Duration::from_secs);
    Resolved {
        hostname: first(dump, "hostname")
            .filter(|h| !h.eq_ignore_ascii_case(alias))
            .map(String::from),
        port: changed("port").and_then(|v| v[0].parse().ok()),
        user: changed("user").map(|v| v[0].to_string()),
        identity: changed("identityfile").map(|v| expand_tilde(v[0])),
        proxy_jump: first(dump, "proxyjump").map(String::from),
        known_hosts: changed("userknownhostsfile")
            .and_then(|v| v[0].split_whitespace().next().map(expand_tilde)),
        connect_timeout: changed("connecttimeout").and_then(|v| secs(v[0])),
        server_alive_interval: changed("serveraliveinterval")
            .and_then(|v| secs(v[0]))
            .filter(|d| !d.is_zero()),
        server_alive_count_max: changed("serveralivecountmax").and_then(|v| v[0].parse().ok()),
    }
}

fn ssh_g(config: &Path, alias: &str, user: Option<&str>) -> Result<String, ConfigError> {
    let mut cmd = Command::new("ssh");
    cmd.arg("-G").arg("-F").arg(config);
    if let Some(u) = user {
        cmd.arg("-l").arg(u);
    }
    // `--` is not understood by every ssh before the destination; refuse option-like names.
    if alias.starts_with('-') {
        return Err(ConfigError(
            format!("`{alias}` is not a host name"),
            ErrorKind::Config,
        ));
    }
    cmd.arg(alias)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd.output().map_err(|e| {
        ConfigError(
            format!(
                "cannot run `ssh -G` to read the OpenSSH client config (is openssh-client installed?): {e}"
            ),
            ErrorKind::NoSsh,
        )
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let msg: Vec<&str> = err
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("Pseudo-terminal"))
            .collect();
        let msg = if msg.is_empty() {
            format!("`ssh -G` failed ({})", out.status)
        } else {
            msg.join("; ")
        };
        return Err(ConfigError(msg, ErrorKind::Config));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// ssh's defaults (no config at all), read once per process.
fn baseline() -> Result<&'static [(String, String)], ConfigError> {
    static BASE: OnceLock<Result<Vec<(String, String)>, ConfigError>> = OnceLock::new();
    BASE.get_or_init(|| {
        ssh_g(Path::new("/dev/null"), "drctl-baseline.invalid", None).map(|t| parse_dump(&t))
    })
    .as_ref()
    .map(Vec::as_slice)
    .map_err(Clone::clone)
}

/// Resolve `alias` through `config`. `user`: the account the inventory sets, so that
/// `Match user` blocks see it (the inventory's value wins anyway).
pub fn resolve(config: &Path, alias: &str, user: Option<&str>) -> Result<Resolved, ConfigError> {
    let base = baseline()?;
    let dump = parse_dump(&ssh_g(config, alias, user)?);
    let mut r = diff(&dump, base, alias);
    if user.is_some() {
        // `-l` wins over the file's `User` in ssh -G: the inventory's account is not the file's.
        r.user = None;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "user root\nhostname drctl-baseline.invalid\nport 22\nserveralivecountmax 3\nserveraliveinterval 0\nidentityfile ~/.ssh/id_rsa\nidentityfile ~/.ssh/id_ed25519\nuserknownhostsfile ~/.ssh/known_hosts ~/.ssh/known_hosts2\nconnecttimeout none\n";

    #[test]
    fn only_what_the_file_sets_is_taken() {
        let dump = "User pg\nhostname 10.0.0.5\nport 2200\nserveralivecountmax 3\nserveraliveinterval 4\nidentityfile /k1\nuserknownhostsfile /kh /kh2\nconnecttimeout 7\nproxyjump j1,u@j2:23\n";
        let r = diff(&parse_dump(dump), &parse_dump(BASE), "db1");
        assert_eq!(r.hostname.as_deref(), Some("10.0.0.5"));
        assert_eq!(r.port, Some(2200));
        assert_eq!(r.user.as_deref(), Some("pg"));
        assert_eq!(r.identity, Some(PathBuf::from("/k1")));
        assert_eq!(r.known_hosts, Some(PathBuf::from("/kh")));
        assert_eq!(r.connect_timeout, Some(Duration::from_secs(7)));
        assert_eq!(r.server_alive_interval, Some(Duration::from_secs(4)));
        assert_eq!(r.server_alive_count_max, None);
        assert_eq!(r.proxy_jump.as_deref(), Some("j1,u@j2:23"));
    }

    #[test]
    fn defaults_are_not_settings() {
        let dump = BASE.replace("drctl-baseline.invalid", "db1");
        let r = diff(&parse_dump(&dump), &parse_dump(BASE), "DB1");
        assert_eq!(r, Resolved::default());
    }

    fn have_ssh() -> bool {
        Command::new("ssh")
            .arg("-V")
            .stderr(Stdio::null())
            .status()
            .is_ok()
    }

    #[test]
    fn host_patterns_negation_include_and_match_user() {
        if !have_ssh() {
            eprintln!("SKIPPED: no ssh client");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let inc = dir.path().join("inc.conf");
        std::fs::write(
            &inc,
            "Host other\n  HostName 1.2.3.4\nMatch user bob\n  Port 2999\n",
        )
        .unwrap();
        let cfg = dir.path().join("config");
        std::fs::write(
            &cfg,
            format!(
                "Include {}\nHost db* !db3\n  HostName 10.0.0.5\n  Port 2200\n  User pg\n  ProxyJump jump1\nHost *\n  ServerAliveInterval 9\n",
                inc.display()
            ),
        )
        .unwrap();
        let db1 = resolve(&cfg, "db1", None).unwrap();
        assert_eq!(db1.hostname.as_deref(), Some("10.0.0.5"));
        assert_eq!(db1.port, Some(2200));
        assert_eq!(db1.user.as_deref(), Some("pg"));
        assert_eq!(db1.proxy_jump.as_deref(), Some("jump1"));
        assert_eq!(db1.server_alive_interval, Some(Duration::from_secs(9)));
        let db3 = resolve(&cfg, "db3", None).unwrap();
        assert_eq!(db3.hostname, None, "`!db3` excludes it");
        assert_eq!(db3.proxy_jump, None);
        let other = resolve(&cfg, "other", Some("bob")).unwrap();
        assert_eq!(other.hostname.as_deref(), Some("1.2.3.4"));
        assert_eq!(other.port, Some(2999), "Match user bob");
        assert_eq!(other.user, None, "the inventory's user is not the file's");
    }

    #[test]
    fn a_bad_config_is_named_with_its_line() {
        if !have_ssh() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config");
        std::fs::write(&cfg, "Host x\n  Bogus 1\n").unwrap();
        let e = resolve(&cfg, "x", None).unwrap_err().0;
        assert!(e.contains("line 2") && e.contains("ogus"), "{e}");
    }
}
