//! Ansible inventories (INI and YAML), read into one intermediate form and translated into
//! the tree of drctl's own YAML inventory (`hosts:` with host keys and `vars:`, `groups:` with
//! `hosts:` and `vars:`), spans still pointing into the Ansible file. The drctl inventory
//! builder then applies every field through its one path, so a key it does not know is
//! diagnosed there, at the Ansible line.
//!
//! Connection variables (`ansible_*`) set on groups are resolved per host here, with
//! Ansible's precedence (`all` < parent group < child group < host); other variables stay
//! on their group or host and are merged by the builder with the same order.

mod ini;
mod yaml;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::runbook::inventory_vars::{GroupIndex, node, scalar};
use crate::runbook::source::{SourceFile, Span};
use crate::runbook::yaml::{Kind, Node};

pub(crate) use ini::{looks_like_ini, parse_ini};
pub(crate) use yaml::{looks_like_ansible_yaml, parse_ansible_yaml};

/// A variable as written: its key and its value, each with where it was written.
pub(crate) type Var = (Node, Node);

/// One Ansible group: direct host members, child groups, variables.
#[derive(Debug, Default)]
pub(crate) struct Group {
    pub span: Span,
    pub hosts: Vec<(String, Span)>,
    pub children: Vec<(String, Span)>,
    pub vars: Vec<Var>,
}

/// An Ansible inventory, format-independent.
#[derive(Debug, Default)]
pub(crate) struct AnsibleInventory {
    /// Host name → where first named, its variables (every occurrence merged, later wins).
    pub hosts: BTreeMap<String, (Span, Vec<Var>)>,
    pub groups: BTreeMap<String, Group>,
}

/// Host names a pattern with ranges names; a bad range is diagnosed (and names nothing).
pub(crate) fn expand(
    file: &Arc<SourceFile>,
    pat: &str,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    ini::expand_range(pat).unwrap_or_else(|why| {
        diags.push(
            Diagnostic::error(
                file,
                span,
                "bad-range",
                format!("host pattern `{pat}`: {why}"),
            )
            .hint("ranges look like db[1:3], db[01:10] or [a:c]"),
        );
        Vec::new()
    })
}

/// What an `ansible_*` variable becomes.
enum Mapping {
    /// A drctl host key, the value as written.
    Key(&'static str),
    /// A drctl host key taking `true`/`false` (Ansible's yes/no/1/0 accepted).
    Bool(&'static str),
    /// `ansible_ssh_common_args`/`ansible_ssh_extra_args`: only `-o ProxyJump=…`/`-J …`.
    SshArgs,
    /// `ansible_connection`: ssh (and its aliases) or local.
    Connection,
    /// `ansible_timeout`: seconds.
    Seconds(&'static str),
    /// Named as not supported: an error with this hint.
    Refused(&'static str),
    /// Has no meaning for drctl (it runs no Python on the hosts): a warning.
    Unused,
}

/// The translation table. Keys not (yet) among drctl's host keys (`become`, `proxy_jump`,
/// … until the features land) are reported as not supported by this build.
fn mapping(var: &str) -> Option<Mapping> {
    use Mapping::*;
    Some(match var {
        "ansible_host" | "ansible_ssh_host" => Key("addr"),
        "ansible_port" | "ansible_ssh_port" => Key("port"),
        "ansible_user" | "ansible_ssh_user" => Key("user"),
        "ansible_ssh_private_key_file" | "ansible_private_key_file" => Key("identity"),
        "ansible_become" => Bool("become"),
        "ansible_become_user" => Key("become_user"),
        "ansible_become_method" => Key("become_method"),
        "ansible_become_password" | "ansible_become_pass" => Key("become_password"),
        "ansible_ssh_common_args" | "ansible_ssh_extra_args" => SshArgs,
        "ansible_connection" => Connection,
        "ansible_timeout" => Seconds("connect_timeout"),
        "ansible_password" | "ansible_ssh_pass" | "ansible_ssh_password" => Refused(
            "drctl logs in with keys (ssh-agent or `ansible_ssh_private_key_file`), never a password",
        ),
        "ansible_host_key_checking" | "ansible_ssh_host_key_checking" => Refused(
            "drctl always checks host keys; `host_key_checking: accept-new` in a drctl inventory is the most it relaxes",
        ),
        "ansible_python_interpreter"
        | "ansible_shell_type"
        | "ansible_shell_executable"
        | "ansible_ssh_pipelining"
        | "ansible_pipelining" => Unused,
        _ => return None,
    })
}

fn bool_word(s: &str) -> Option<&'static str> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "on" | "y" => Some("true"),
        "no" | "false" | "0" | "off" | "n" => Some("false"),
        _ => None,
    }
}

/// The options `ansible_ssh_common_args`/`ansible_ssh_extra_args` may carry (`-o K=V`,
/// `-oK=V`, `-J HOST`), as drctl host keys: ProxyJump, UserKnownHostsFile, ConnectTimeout.
fn ssh_args(args: &str) -> Result<Vec<(&'static str, String)>, String> {
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < words.len() {
        let w = words[i];
        let opt = if w == "-o" || w == "-J" {
            i += 1;
            let Some(next) = words.get(i) else {
                return Err(format!("`{w}` without a value"));
            };
            if w == "-J" {
                format!("ProxyJump={next}")
            } else {
                next.to_string()
            }
        } else if let Some(o) = w.strip_prefix("-o") {
            o.to_string()
        } else {
            return Err(format!("`{w}`"));
        };
        let (k, v) = opt.split_once('=').ok_or_else(|| format!("`-o {opt}`"))?;
        let v = v.trim_matches(|c| c == '"' || c == '\'').to_string();
        let key = match k.to_ascii_lowercase().as_str() {
            "proxyjump" => ("proxy_jump", v),
            "userknownhostsfile" => ("known_hosts", v),
            "connecttimeout" => ("connect_timeout", format!("{v}s")),
            _ => return Err(format!("`-o {k}`")),
        };
        out.push(key);
        i += 1;
    }
    Ok(out)
}

/// Translate one `ansible_*` variable to a drctl host key and value, or diagnose it.
fn translate(
    file: &Arc<SourceFile>,
    host_keys: &[&str],
    k: &Node,
    v: &Node,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Node, Node)> {
    let name = k.as_str().unwrap_or_default();
    let text = v.as_str().unwrap_or_default().to_string();
    let err = |code, msg: String| Diagnostic::error(file, k.span, code, msg);
    let pairs: Vec<(&'static str, String)> = match mapping(name) {
        None => {
            diags.push(
                Diagnostic::warning(
                    file,
                    k.span,
                    "ansible-unknown",
                    format!("`{name}` is not an Ansible variable drctl knows; it is not used"),
                )
                .hint("drctl reads ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file, ansible_become*, ansible_ssh_common_args (-o ProxyJump), ansible_connection, ansible_timeout"),
            );
            return Vec::new();
        }
        Some(Mapping::Unused) => {
            diags.push(Diagnostic::warning(
                file,
                k.span,
                "ansible-unused",
                format!("`{name}` has no meaning for drctl (it runs no Python on the hosts); it is not used"),
            ));
            return Vec::new();
        }
        Some(Mapping::Refused(hint)) => {
            diags.push(err("ansible-unsupported", format!("`{name}` is not supported")).hint(hint));
            return Vec::new();
        }
        Some(Mapping::Key(key)) => vec![(key, text)],
        Some(Mapping::Bool(key)) => match bool_word(&text) {
            Some(b) => vec![(key, b.to_string())],
            None => {
                diags.push(
                    Diagnostic::error(
                        file,
                        v.span,
                        "wrong-type",
                        format!("`{name}` must be a boolean, found `{text}`"),
                    )
                    .hint("yes/no, true/false or 1/0"),
                );
                return Vec::new();
            }
        },
        Some(Mapping::Seconds(key)) => vec![(key, format!("{text}s"))],
        Some(Mapping::Connection) => {
            match text.as_str() {
                "ssh" | "smart" | "paramiko" | "paramiko_ssh" => {
                    vec![("transport", "ssh".to_string())]
                }
                "local" => vec![("transport", "local".to_string())],
                other => {
                    diags.push(
                    Diagnostic::error(file, v.span, "ansible-unsupported", format!("`ansible_connection={other}` is not supported"))
                        .hint("drctl reaches hosts over SSH (`ssh`) or runs on the controller (`local`)"),
                );
                    return Vec::new();
                }
            }
        }
        Some(Mapping::SshArgs) => match ssh_args(&text) {
            Ok(pairs) => pairs,
            Err(what) => {
                diags.push(
                    Diagnostic::error(file, v.span, "ansible-unsupported", format!("{what} in `{name}` is not supported"))
                        .hint("only `-o ProxyJump=HOST` (or `-J HOST`), `-o UserKnownHostsFile=PATH` and `-o ConnectTimeout=N` are read; put other options in ~/.ssh/config"),
                );
                return Vec::new();
            }
        },
    };
    let mut out = Vec::new();
    for (key, value) in pairs {
        if !host_keys.contains(&key) {
            diags.push(
                err(
                    "ansible-unsupported",
                    format!("`{name}` (drctl `{key}`) is not supported by this drctl"),
                )
                .hint(format!("drctl host keys: {}", host_keys.join(", "))),
            );
            continue;
        }
        let plain = !matches!(&v.kind, Kind::Scalar { plain: false, .. }) || key == "port";
        out.push((scalar(key, k.span, true), scalar(&value, v.span, plain)));
    }
    out
}

impl AnsibleInventory {
    /// The drctl-shaped tree of this inventory.
    pub(crate) fn into_drctl(
        self,
        file: &Arc<SourceFile>,
        host_keys: &[&str],
        diags: &mut Vec<Diagnostic>,
    ) -> Node {
        let mut me = self;
        // Hosts in no group but `all` are in `ungrouped`, as in Ansible.
        let grouped: Vec<String> = me
            .groups
            .iter()
            .filter(|(g, _)| *g != "all" && *g != "ungrouped")
            .flat_map(|(_, grp)| grp.hosts.iter().map(|(n, _)| n.clone()))
            .collect();
        let lone: Vec<(String, Span)> = me
            .hosts
            .iter()
            .filter(|(h, _)| !grouped.contains(h))
            .map(|(h, (s, _))| (h.clone(), *s))
            .collect();
        me.groups.entry("ungrouped".into()).or_default().hosts = lone;
        let raw: BTreeMap<String, Vec<String>> = me
            .groups
            .iter()
            .map(|(g, grp)| {
                let m = grp.hosts.iter().chain(&grp.children);
                (g.clone(), m.map(|(n, _)| n.clone()).collect())
            })
            .collect();
        // Each `ansible_*` variable is translated (and diagnosed) once, where written.
        let mut translated: BTreeMap<String, Vec<(Node, Node)>> = BTreeMap::new();
        let mut group_entries = Vec::new();
        for (g, grp) in &me.groups {
            let mut conn = Vec::new();
            let mut vars = Vec::new();
            for (k, v) in &grp.vars {
                if k.as_str().is_some_and(|n| n.starts_with("ansible_")) {
                    conn.extend(translate(file, host_keys, k, v, diags));
                } else {
                    vars.push((k.clone(), v.clone()));
                }
            }
            translated.insert(g.clone(), conn);
            let members: Vec<Node> = grp
                .hosts
                .iter()
                .chain(&grp.children)
                .map(|(n, s)| scalar(n, *s, false))
                .collect();
            let mut fields = vec![(
                scalar("hosts", grp.span, true),
                node(Kind::Seq(members), grp.span),
            )];
            if !vars.is_empty() {
                fields.push((
                    scalar("vars", grp.span, true),
                    node(Kind::Map(vars), grp.span),
                ));
            }
            group_entries.push((
                scalar(g, grp.span, false),
                node(Kind::Map(fields), grp.span),
            ));
        }
        let index = translated
            .values()
            .any(|c| !c.is_empty())
            .then(|| GroupIndex::new(&raw));
        let mut host_entries = Vec::new();
        for (h, (span, own)) in &me.hosts {
            let mut fields: Vec<(Node, Node)> = Vec::new();
            let mut set = |kv: (Node, Node)| {
                fields.retain(|(k, _)| k.as_str() != kv.0.as_str());
                fields.push(kv);
            };
            for g in index.as_ref().map(|i| i.order(h)).unwrap_or_default() {
                for kv in translated.get(g).into_iter().flatten() {
                    set(kv.clone());
                }
            }
            let mut vars = Vec::new();
            for (k, v) in own {
                if k.as_str().is_some_and(|n| n.starts_with("ansible_")) {
                    for kv in translate(file, host_keys, k, v, diags) {
                        set(kv);
                    }
                } else {
                    vars.retain(|(x, _): &(Node, Node)| x.as_str() != k.as_str());
                    vars.push((k.clone(), v.clone()));
                }
            }
            // No ansible_host: `addr` stays unset, so the host resolves through the OpenSSH
            // config like `ssh NAME` (its HostName, else the name itself; see inventory.rs).
            if !vars.is_empty() {
                fields.push((scalar("vars", *span, true), node(Kind::Map(vars), *span)));
            }
            host_entries.push((scalar(h, *span, false), node(Kind::Map(fields), *span)));
        }
        let top = Span::new(1, 1, 1);
        node(
            Kind::Map(vec![
                (
                    scalar("hosts", top, true),
                    node(Kind::Map(host_entries), top),
                ),
                (
                    scalar("groups", top, true),
                    node(Kind::Map(group_entries), top),
                ),
            ]),
            top,
        )
    }
}

#[cfg(test)]
mod tests;
