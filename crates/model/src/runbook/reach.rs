//! How inventory hosts are reached beyond their own fields: `ssh_config` (what the inventory
//! leaves unset comes from the OpenSSH client config) and `proxy_jump` (bastions, chained).
//! Precedence: a host's own field, then `defaults:`, then the ssh config, then drctl's
//! built-in defaults.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::runbook::inventory::{Host, resolve_path};
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

/// A bastion chain is at most this long (a loop through the ssh config ends here).
const MAX_HOPS: usize = 8;

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
    explicit: BTreeSet<String>,
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
    let mut jumps: BTreeMap<String, (String, Span, Option<PathBuf>)> = BTreeMap::new();
    for p in &pending {
        let Some(host) = hosts.get_mut(&p.name) else {
            continue;
        };
        let config = p.reach.config_file(r, p.span);
        let mut jump = p.reach.proxy_jump.clone();
        if let Some(cfg) = &config {
            let user = p.reach.explicit.contains("user").then(|| host.user.clone());
            match ssh_config::resolve(cfg, &p.name, user.as_deref()) {
                Ok(res) => {
                    fill(host, &res, &p.reach.explicit);
                    if jump.is_none()
                        && let Some(pj) = res.proxy_jump
                    {
                        jump = Some((pj, p.span));
                    }
                }
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

/// Copy what the config sets into the fields the inventory leaves unset.
fn fill(h: &mut Host, res: &ssh_config::Resolved, explicit: &BTreeSet<String>) {
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

type Jumps = BTreeMap<String, (String, Span, Option<PathBuf>)>;

/// The bastions in front of inventory host `name`, first hop first.
fn chain(
    name: &str,
    jumps: &Jumps,
    hosts: &BTreeMap<String, Host>,
    defaults: (&Host, &Reach),
    done: &mut BTreeMap<String, Vec<Host>>,
    stack: &mut Vec<String>,
) -> Result<Vec<Host>, String> {
    if let Some(c) = done.get(name) {
        return Ok(c.clone());
    }
    let Some((spec, _, config)) = jumps.get(name) else {
        return Ok(Vec::new());
    };
    if stack.iter().any(|s| s == name) || stack.len() > MAX_HOPS {
        stack.push(name.to_string());
        return Err(format!("bastions loop: {}", stack.join(" → ")));
    }
    stack.push(name.to_string());
    let mut out = Vec::new();
    if spec != "none" {
        for hop in spec.split(',').map(str::trim) {
            if hop.is_empty() {
                return Err(format!("empty hop in `{spec}`"));
            }
            if hop == name {
                return Err(format!("`{name}` cannot be its own bastion"));
            }
            if let Some(h) = hosts.get(hop) {
                out.extend(chain(hop, jumps, hosts, defaults, done, stack)?);
                out.push(Host {
                    proxy_jump: Vec::new(),
                    ..h.clone()
                });
            } else {
                let (before, h) = hop_host(hop, defaults, config.as_deref(), stack.len())?;
                out.extend(before);
                out.push(h);
            }
        }
    }
    if out.len() > MAX_HOPS {
        return Err(format!("more than {MAX_HOPS} bastions"));
    }
    stack.pop();
    done.insert(name.to_string(), out.clone());
    Ok(out)
}

/// A hop written `[user@]host[:port]` (not an inventory host): the inventory's `defaults:`,
/// then what the ssh config says about `host` (where `defaults:` does not set it), then
/// what the hop itself says. Returns the bastions in front of it (its own ProxyJump) and the hop.
fn hop_host(
    hop: &str,
    defaults: (&Host, &Reach),
    config: Option<&Path>,
    depth: usize,
) -> Result<(Vec<Host>, Host), String> {
    let (user, rest) = match hop.rsplit_once('@') {
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, hop),
    };
    let (addr, port) = split_host_port(rest).ok_or_else(|| format!("bad hop `{hop}`"))?;
    let mut h = Host {
        name: addr.clone(),
        addr: addr.clone(),
        port: 22,
        proxy_jump: Vec::new(),
        ..defaults.0.clone()
    };
    let mut before = Vec::new();
    if let Some(cfg) = config {
        let res = ssh_config::resolve(cfg, &addr, user.as_deref())
            .map_err(|e| format!("bastion `{addr}`: {e}"))?;
        fill(&mut h, &res, &defaults.1.explicit);
        if let Some(pj) = res.proxy_jump.filter(|p| p != "none") {
            if depth > MAX_HOPS {
                return Err(format!("bastions loop through the ssh config at `{addr}`"));
            }
            for inner in pj.split(',').map(str::trim) {
                let (b, ih) = hop_host(inner, defaults, config, depth + 1)?;
                before.extend(b);
                before.push(ih);
            }
        }
    }
    if let Some(u) = user {
        h.user = u;
    }
    if let Some(p) = port {
        h.port = p;
    }
    Ok((before, h))
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((h.to_string(), port));
    }
    match s.split_once(':') {
        Some((h, p)) if !h.is_empty() => Some((h.to_string(), Some(p.parse().ok()?))),
        None if !s.is_empty() => Some((s.to_string(), None)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::split_host_port;

    #[test]
    fn hops() {
        assert_eq!(split_host_port("b1"), Some(("b1".into(), None)));
        assert_eq!(split_host_port("b1:2222"), Some(("b1".into(), Some(2222))));
        assert_eq!(split_host_port("[::1]:22"), Some(("::1".into(), Some(22))));
        assert_eq!(split_host_port("b1:x"), None);
        assert_eq!(split_host_port(":22"), None);
    }
}
