//! `proxy_jump` specs resolved into chains of bastion hosts: inventory hosts by name (with
//! their own bastions first), `[user@]host[:port]` hops through the ssh config, loops and
//! overlong chains refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::runbook::inventory::Host;
use crate::runbook::reach::{Reach, fill};
use crate::runbook::source::Span;
use crate::runbook::ssh_config;

/// A bastion chain is at most this long (a loop through the ssh config ends here).
const MAX_HOPS: usize = 8;

/// Host name → (its `proxy_jump` spec, where it was written, the ssh config in effect).
pub(crate) type Jumps = BTreeMap<String, (String, Span, Option<PathBuf>)>;

/// The bastions in front of inventory host `name`, first hop first.
pub(crate) fn chain(
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
