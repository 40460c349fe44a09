//! How inventory hosts are reached beyond their own fields: `ssh_config` (what the inventory
//! leaves unset comes from the OpenSSH client config) and `proxy_jump` (bastions, chained).
//! Precedence: a host's own field, then `defaults:`, then the ssh config, then drctl's
//! built-in defaults.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::runbook::inventory::{Host, resolve_path};
use crate::runbook::proxy_jump::{Jumps, chain};
use crate::runbook::reader::{Fields, Reader};
use crate::runbook::source::Span;
use crate::runbook::ssh_config;

/// Inventory keys the ssh config may fill when the inventory leaves them unset.
const FILLED: &[&str] = &[
    "addr",
    "port",
    "user",
    "identity",
    "known_hosts",
    "connect_timeout",
    "keepalive_interval",
    "keepalive_count_max",
];

/// Which OpenSSH client config applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigChoice {
    /// `~/.ssh/config` when it exists (nothing said).
    Default,
    /// `ssh_config: none`.
    Off,
    File(PathBuf),
}

/// The reach settings of one level (`defaults:` or a host), as written.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    ssh_config: Option<(ConfigChoice, Span)>,
    proxy_jump: Option<(String, Span)>,
    /// The inventory keys this level sets.
    pub(crate) explicit: BTreeSet<String>,
}

impl Reach {
    /// Read `ssh_config` and `proxy_jump` of one mapping and note which keys it sets.
    pub fn read(r: &mut Reader, f: &Fields<'_>, path: &str, base: &Path) -> Reach {
        let mut out = Reach {
            explicit: f.iter().map(|(k, ..)| k.to_string()).collect(),
            ..Reach::default()
        };
        if let Some(n) = f.get("ssh_config")
            && let Some(s) = r.string(n, &format!("{path}.ssh_config"))
        {
            let choice = if s.value == "none" {
                ConfigChoice::Off
            } else {
                ConfigChoice::File(resolve_path(&s.value, base))
            };
            out.ssh_config = Some((choice, s.span));
        }
        if let Some(n) = f.get("proxy_jump")
            && let Some(s) = r.string(n, &format!("{path}.proxy_jump"))
        {
            out.proxy_jump = Some((s.value.trim().to_string(), s.span));
        }
        out
    }

    /// Settings built by another inventory reader (an Ansible inventory): `explicit` names
    /// the drctl host fields it set; `span` is where to point diagnostics.
    pub fn from_parts(
        ssh_config: Option<ConfigChoice>,
        proxy_jump: Option<String>,
        explicit: impl IntoIterator<Item = String>,
        span: Span,
    ) -> Reach {
        Reach {
            ssh_config: ssh_config.map(|c| (c, span)),
            proxy_jump: proxy_jump.map(|j| (j, span)),
            explicit: explicit.into_iter().collect(),
        }
    }

    /// This host's settings over the inventory's `defaults:`.
    pub fn over(mut self, defaults: &Reach) -> Reach {
        self.ssh_config = self.ssh_config.or_else(|| defaults.ssh_config.clone());
        self.proxy_jump = self.proxy_jump.or_else(|| defaults.proxy_jump.clone());
        self.explicit.extend(defaults.explicit.iter().cloned());
        self
    }

    /// The config file in effect, if any; an explicit file that does not exist is an error.
    fn config_file(&self, r: &mut Reader, host_span: Span) -> Option<PathBuf> {
        match &self.ssh_config {
            Some((ConfigChoice::Off, _)) => None,
            Some((ConfigChoice::File(p), span)) => {
                if p.is_file() {
                    Some(p.clone())
                } else if r
                    .diags
                    .iter()
                    .any(|d| d.span == *span && d.code == "ssh-config")
                {
                    None
                } else {
                    r.diags.push(
                        Diagnostic::error(
                            &r.file,
                            *span,
                            "ssh-config",
                            format!("ssh_config {} does not exist", p.display()),
                        )
                        .hint("give the path of an OpenSSH client config, or `none`"),
                    );
                    None
                }
            }
            Some((ConfigChoice::Default, _)) | None => {
                let _ = host_span;
                let p = resolve_path("~/.ssh/config", Path::new("/"));
                p.is_file().then_some(p)
            }
        }
    }

    /// Does an ssh config fill in what the host leaves unset (so it may be named alone)?
    pub fn config_applies(&self) -> bool {
        match &self.ssh_config {
            Some((ConfigChoice::Off, _)) => false,
            Some((ConfigChoice::File(_), _)) => true,
            Some((ConfigChoice::Default, _)) | None => {
                resolve_path("~/.ssh/config", Path::new("/")).is_file()
            }
        }
    }
}

/// A host read from the inventory, its config and bastions not yet applied.
pub struct Pending {
    pub name: String,
    /// The host's entry, for diagnostics.
    pub span: Span,
    pub reach: Reach,
}

/// Fill hosts from the ssh config (inventory values win), then resolve their bastions.
pub fn resolve(
    r: &mut Reader,
    hosts: &mut BTreeMap<String, Host>,
    pending: Vec<Pending>,
    defaults: (&Host, &Reach),
) {
    let configs: Vec<Option<PathBuf>> = pending
        .iter()
        .map(|p| p.reach.config_file(r, p.span))
        .collect();
    let jobs: Vec<(PathBuf, String, Option<String>)> = pending
        .iter()
        .zip(&configs)
        .filter_map(|(p, c)| {
            let user = p.reach.explicit.contains("user");
            let user = user
                .then(|| hosts.get(&p.name).map(|h| h.user.clone()))
                .flatten();
            c.clone().map(|c| (c, p.name.clone(), user))
        })
        .collect();
    let mut resolved = resolve_all(&jobs).into_iter();
    let mut jumps: Jumps = BTreeMap::new();
    for (p, config) in pending.iter().zip(configs) {
        let res = config.as_ref().and_then(|_| resolved.next());
        let Some(host) = hosts.get_mut(&p.name) else {
            continue;
        };
        let mut jump = p.reach.proxy_jump.clone();
        if let (Some(cfg), Some(res)) = (&config, res) {
            match res {
                Ok(res) => {
                    fill(host, &res, &p.reach.explicit);
                    if jump.is_none()
                        && let Some(pj) = res.proxy_jump
                    {
                        jump = Some((pj, p.span));
                    }
                }
                // `~/.ssh/config` taken by default on a machine without the ssh client:
                // as if there were none (an inventory that worked keeps working).
                Err(e)
                    if e.1 == ssh_config::ErrorKind::NoSsh
                        && !matches!(p.reach.ssh_config, Some((ConfigChoice::File(_), _))) => {}
                Err(e) => r.diags.push(
                    Diagnostic::error(
                        &r.file,
                        p.span,
                        "ssh-config",
                        format!("host `{}`: {} ({})", p.name, e, cfg.display()),
                    )
                    .hint("fix the OpenSSH client config, or set `ssh_config: none` for this host"),
                ),
            }
        }
        if host.addr.is_empty() && config.is_some() {
            host.addr = p.name.clone();
        }
        if let Some((spec, span)) = jump {
            jumps.insert(p.name.clone(), (spec, span, config));
        }
    }
    let mut done: BTreeMap<String, Vec<Host>> = BTreeMap::new();
    for name in jumps.keys() {
        let mut stack = Vec::new();
        match chain(name, &jumps, hosts, defaults, &mut done, &mut stack) {
            Ok(_) => {}
            Err(msg) => {
                let span = jumps[name].1;
                r.diags.push(
                    Diagnostic::error(&r.file, span, "proxy-jump", format!("host `{name}`: {msg}"))
                        .hint("`proxy_jump: NAME` (an inventory host) or `[user@]host[:port][,…]`, or `none`"),
                );
                done.insert(name.clone(), Vec::new());
            }
        }
    }
    for (name, hops) in done {
        if let Some(h) = hosts.get_mut(&name) {
            h.proxy_jump = hops;
        }
    }
}

/// `ssh -G` for every job, a few at a time (one process each, some milliseconds).
fn resolve_all(
    jobs: &[(PathBuf, String, Option<String>)],
) -> Vec<Result<ssh_config::Resolved, ssh_config::ConfigError>> {
    let mut out = Vec::with_capacity(jobs.len());
    for chunk in jobs.chunks(8) {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(c, a, u)| s.spawn(move || ssh_config::resolve(c, a, u.as_deref())))
                .collect();
            for h in handles {
                out.push(h.join().unwrap_or_else(|_| {
                    Err(ssh_config::ConfigError(
                        "`ssh -G` panicked".into(),
                        ssh_config::ErrorKind::Config,
                    ))
                }));
            }
        });
    }
    out
}

/// Copy what the config sets into the fields the inventory leaves unset.
pub(crate) fn fill(h: &mut Host, res: &ssh_config::Resolved, explicit: &BTreeSet<String>) {
    let free = |k: &str| !explicit.contains(k) && FILLED.contains(&k);
    if free("addr")
        && let Some(v) = &res.hostname
    {
        h.addr = v.clone();
    }
    if free("port")
        && let Some(v) = res.port
    {
        h.port = v;
    }
    if free("user")
        && let Some(v) = &res.user
    {
        h.user = v.clone();
    }
    if free("identity")
        && let Some(v) = &res.identity
    {
        h.identity = Some(v.clone());
    }
    if free("known_hosts")
        && let Some(v) = &res.known_hosts
    {
        h.known_hosts = v.clone();
    }
    if free("connect_timeout")
        && let Some(v) = res.connect_timeout
    {
        h.connect_timeout = v;
    }
    if free("keepalive_interval")
        && let Some(v) = res.server_alive_interval
    {
        h.keepalive_interval = v.max(std::time::Duration::from_secs(2));
    }
    if free("keepalive_count_max")
        && let Some(v) = res.server_alive_count_max
    {
        h.keepalive_count_max = v.max(1);
    }
}

#[cfg(test)]
mod tests {
    use crate::runbook::inventory::parse_inventory;
    use crate::runbook::source::SourceFile;

    fn parse(text: &str) -> (crate::runbook::inventory::Inventory, Vec<String>) {
        let (inv, diags) = parse_inventory(&SourceFile::new("/tmp/inv.yaml", text));
        (inv, diags.iter().map(|d| d.message.clone()).collect())
    }

    #[test]
    fn proxy_jump_names_inventory_hosts_and_chains_them() {
        let (inv, diags) = parse(
            "defaults:\n  ssh_config: none\n  user: ops\nhosts:\n  b1: { addr: 10.0.0.1, user: jump }\n  b2: { addr: 10.0.1.1, proxy_jump: b1 }\n  db1: { addr: 10.0.2.1, proxy_jump: b2 }\n  db2: { addr: 10.0.2.2, proxy_jump: \"b1,admin@10.9.9.9:2200\" }\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let hops = |h: &str| -> Vec<String> {
            inv.hosts[h]
                .proxy_jump
                .iter()
                .map(|j| format!("{}@{}:{}", j.user, j.addr, j.port))
                .collect()
        };
        assert_eq!(hops("db1"), ["jump@10.0.0.1:22", "ops@10.0.1.1:22"]);
        assert_eq!(hops("db2"), ["jump@10.0.0.1:22", "admin@10.9.9.9:2200"]);
        assert!(hops("b1").is_empty());
    }

    #[test]
    fn a_bastion_loop_is_an_error_not_a_hang() {
        let (_, diags) = parse(
            "defaults: { ssh_config: none }\nhosts:\n  a: { addr: 1.1.1.1, proxy_jump: b }\n  b: { addr: 1.1.1.2, proxy_jump: a }\n",
        );
        assert!(diags.iter().any(|d| d.contains("loop")), "{diags:?}");
    }

    #[test]
    fn a_host_named_alone_takes_the_config_and_the_inventory_wins() {
        if std::process::Command::new("ssh")
            .arg("-V")
            .output()
            .is_err()
        {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config");
        std::fs::write(
            &cfg,
            "Host db*\n  HostName 10.1.1.1\n  Port 2201\n  User pg\n  ProxyJump gw\nHost gw\n  HostName 10.0.0.9\n  User gate\n",
        )
        .unwrap();
        let (inv, diags) = parse(&format!(
            "defaults:\n  ssh_config: {}\nhosts:\n  db1: {{}}\n  db2: {{ port: 22, proxy_jump: none }}\n",
            cfg.display()
        ));
        assert!(diags.is_empty(), "{diags:?}");
        let db1 = &inv.hosts["db1"];
        assert_eq!(
            (db1.addr.as_str(), db1.port, db1.user.as_str()),
            ("10.1.1.1", 2201, "pg")
        );
        assert_eq!(db1.proxy_jump.len(), 1);
        assert_eq!(db1.proxy_jump[0].addr, "10.0.0.9");
        assert_eq!(db1.proxy_jump[0].user, "gate");
        let db2 = &inv.hosts["db2"];
        assert_eq!(db2.port, 22, "the inventory's port wins");
        assert!(db2.proxy_jump.is_empty(), "`proxy_jump: none` wins");
        let (_, diags) =
            parse("defaults:\n  ssh_config: /nonexistent/config\nhosts:\n  a: {}\n  b: {}\n");
        assert_eq!(
            diags
                .iter()
                .filter(|d| d.contains("does not exist"))
                .count(),
            1,
            "{diags:?}"
        );
    }
}
