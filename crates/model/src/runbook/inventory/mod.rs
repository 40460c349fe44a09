//! Inventories: hosts, their SSH settings, and groups. The host `local` always exists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::runbook::ansible;
use crate::runbook::inventory_vars;
use crate::runbook::reach::{self, Pending, Reach};
use crate::runbook::reader::Reader;
use crate::runbook::source::{SourceFile, Span};
use crate::runbook::yaml::{self, Budget, Kind, Node};

mod host_fields;
use host_fields::apply_host_fields;

pub(crate) const HOST_KEYS: &[&str] = &[
    "addr",
    "port",
    "user",
    "identity",
    "known_hosts",
    "transport",
    "connect_timeout",
    "keepalive_interval",
    "keepalive_count_max",
    "host_key_checking",
    "exec_mode",
    "ssh_config",
    "proxy_jump",
    "become",
    "become_user",
    "become_method",
    "become_password",
];

pub use drctl_transport::{ExecMode, Host, HostKeyPolicy, LOCAL, TransportKind, current_user};

/// Expand `~/` and resolve relative paths against `base`.
pub fn resolve_path(p: &str, base: &Path) -> PathBuf {
    if let Some(rest) = p.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    let pb = PathBuf::from(p);
    if pb.is_absolute() { pb } else { base.join(pb) }
}

/// A loaded inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub file: Option<Arc<SourceFile>>,
    pub hosts: BTreeMap<String, Host>,
    /// Group name → member host names (nested groups already flattened). `all` holds
    /// every host but `local`.
    pub groups: BTreeMap<String, Vec<String>>,
    /// `notify:` receivers of every run with this inventory (merged with the runbook's).
    pub notify: Vec<crate::runbook::model::Notify>,
    /// Host name → its inventory variables (group `vars:` merged, then the host's own).
    pub vars: BTreeMap<String, BTreeMap<String, minijinja::Value>>,
}

impl Default for Inventory {
    fn default() -> Self {
        let mut hosts = BTreeMap::new();
        hosts.insert(LOCAL.to_string(), Host::local());
        Self {
            file: None,
            hosts,
            groups: BTreeMap::new(),
            notify: Vec::new(),
            vars: BTreeMap::new(),
        }
    }
}

impl Inventory {
    /// Host names that a target (host or group) names, or `None` if it names nothing.
    pub fn resolve(&self, target: &str) -> Option<Vec<String>> {
        if self.hosts.contains_key(target) {
            Some(vec![target.to_string()])
        } else {
            self.groups.get(target).cloned()
        }
    }

    /// All names a step's `on:` may use.
    pub fn target_names(&self) -> impl Iterator<Item = &str> {
        self.hosts
            .keys()
            .chain(self.groups.keys())
            .map(String::as_str)
    }

    /// "did you mean" for an unknown target.
    pub fn suggest(&self, target: &str) -> Option<String> {
        did_you_mean(target, self.target_names())
    }
}

/// Parse an inventory file; errors name file, line and column.
/// One diagnostic for a file that is not a YAML inventory, naming the file only: it may be
/// anything (a secrets file named by mistake), so none of its lines is quoted.
pub(crate) fn not_an_inventory(file: &SourceFile) -> Diagnostic {
    let blind = SourceFile::new(&file.path, "");
    Diagnostic::error(
        &blind,
        Span::default(),
        "not-an-inventory",
        format!(
            "{} is not an inventory: neither drctl's (`hosts:`, `groups:`, `defaults:`) nor Ansible's INI or YAML form (its contents are not shown)",
            file.path.display()
        ),
    )
    .hint("check the `inventory:` path or `-i`")
}

/// Parse an inventory file, in drctl's YAML form or Ansible's INI or YAML form (told apart
/// by content); errors name file, line and column.
pub fn parse_inventory(file: &Arc<SourceFile>) -> (Inventory, Vec<Diagnostic>) {
    let inv = Inventory {
        file: Some(file.clone()),
        ..Inventory::default()
    };
    let loaded = yaml::load(file, Budget::default());
    let root = match loaded {
        Ok(Some(n)) if matches!(&n.kind, Kind::Map(_)) => n,
        Ok(None) => return (inv, vec![]),
        _ if ansible::looks_like_ini(&file.text) => {
            let mut diags = Vec::new();
            let a = ansible::parse_ini(file, &mut diags);
            let tree = a.into_drctl(file, HOST_KEYS, &mut diags);
            let (inv, more) = build(inv, file, &tree, Origin::Ansible);
            diags.extend(more);
            return (inv, diags);
        }
        _ => return (inv, vec![not_an_inventory(file)]),
    };
    if ansible::looks_like_ansible_yaml(&root) {
        let mut diags = Vec::new();
        let a = ansible::parse_ansible_yaml(file, &root, &mut diags);
        let tree = a.into_drctl(file, HOST_KEYS, &mut diags);
        let (inv, more) = build(inv, file, &tree, Origin::Ansible);
        diags.extend(more);
        return (inv, diags);
    }
    let is_inventory = match &root.kind {
        Kind::Map(entries) => entries.iter().any(|(k, _)| {
            k.as_str()
                .is_some_and(|k| ["defaults", "hosts", "groups", "notify"].contains(&k))
        }),
        _ => false,
    };
    if !is_inventory {
        return (inv, vec![not_an_inventory(file)]);
    }
    build(inv, file, &root, Origin::Drctl)
}

/// Which format an inventory tree came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Drctl,
    /// Ansible INI or YAML: a host with no address and no OpenSSH config is reached by its
    /// inventory name, as Ansible does.
    Ansible,
}

/// Build an inventory from a tree of drctl's form (read from the file, or translated from
/// Ansible's forms with spans into the Ansible file).
fn build(
    mut inv: Inventory,
    file: &Arc<SourceFile>,
    root: &Node,
    origin: Origin,
) -> (Inventory, Vec<Diagnostic>) {
    let mut r = Reader::new(file.clone());
    let Some(f) = r.map(root, "", &["defaults", "hosts", "groups", "notify"]) else {
        return (inv, r.diags);
    };
    if let Some(n) = f.get("notify") {
        inv.notify = crate::runbook::parse::notify::notify(&mut r, n);
    }
    let base = file.dir().to_path_buf();
    let mut defaults = Host {
        name: String::new(),
        port: 22,
        ..Host::local()
    };
    defaults.transport = TransportKind::Ssh;
    defaults.known_hosts = resolve_path("~/.ssh/known_hosts", &base);
    let mut reach_defaults = Reach::default();
    let mut pending = Vec::new();
    if let Some(d) = f.get("defaults")
        && let Some(df) = r.map(d, "defaults", HOST_KEYS)
    {
        apply_host_fields(&mut r, &df, "defaults", &base, &mut defaults);
        reach_defaults = Reach::read(&mut r, &df, "defaults", &base);
    }
    let host_keys: Vec<&str> = HOST_KEYS.iter().copied().chain(["vars"]).collect();
    let mut host_vars: BTreeMap<String, Vec<(String, &Node)>> = BTreeMap::new();
    let mut group_vars: BTreeMap<String, Vec<(String, &Node)>> = BTreeMap::new();
    if let Some(h) = f.get("hosts")
        && let Some(hf) = r.map(h, "hosts", &[])
    {
        for (name, kn, v) in hf.iter() {
            let mut host = Host {
                name: name.to_string(),
                addr: String::new(),
                ..defaults.clone()
            };
            if name == LOCAL {
                r.error(
                    kn,
                    "reserved-host",
                    "`local` is the built-in controller host",
                )
                .hint = Some("give this host another name, or set `transport: local` on it".into());
                continue;
            }
            if let Some(fields) = r.map(v, &format!("hosts.{name}"), &host_keys) {
                if let Some(vn) = fields.get("vars") {
                    host_vars.insert(
                        name.to_string(),
                        inventory_vars::vars_of(&mut r, vn, &format!("hosts.{name}.vars")),
                    );
                }
                apply_host_fields(&mut r, &fields, &format!("hosts.{name}"), &base, &mut host);
                let reach = Reach::read(&mut r, &fields, &format!("hosts.{name}"), &base)
                    .over(&reach_defaults);
                let by_config = reach.config_applies() && host.transport == TransportKind::Ssh;
                pending.push(Pending {
                    name: name.to_string(),
                    span: kn.span,
                    reach,
                });
                if host.addr.is_empty() && !by_config {
                    if host.transport == TransportKind::Local {
                        host.addr = "127.0.0.1".into();
                    } else if origin == Origin::Ansible {
                        host.addr = name.to_string();
                    } else {
                        r.error(v, "missing-key", format!("host `{name}` has no `addr:`"))
                            .hint = Some(
                            "e.g. `{ addr: 10.0.0.11 }`, or name it in the `ssh_config:` file"
                                .into(),
                        );
                    }
                }
            }
            inv.hosts.insert(name.to_string(), host);
        }
    }
    reach::resolve(
        &mut r,
        &mut inv.hosts,
        pending,
        (&defaults, &reach_defaults),
    );
    if let Some(g) = f.get("groups")
        && let Some(gf) = r.map(g, "groups", &[])
    {
        let mut raw: BTreeMap<String, Vec<(String, Span)>> = BTreeMap::new();
        for (name, kn, v) in gf.iter() {
            if inv.hosts.contains_key(name) {
                r.error(
                    kn,
                    "group-is-host",
                    format!("group `{name}` has the name of a host"),
                )
                .hint = Some("host and group names share one namespace; rename one".into());
            }
            let path = format!("groups.{name}");
            let listed = match &v.kind {
                Kind::Map(_) => {
                    let Some(gm) = r.map(v, &path, &["hosts", "vars"]) else {
                        continue;
                    };
                    if let Some(vn) = gm.get("vars") {
                        group_vars.insert(
                            name.to_string(),
                            inventory_vars::vars_of(&mut r, vn, &format!("{path}.vars")),
                        );
                    }
                    match gm.get("hosts") {
                        Some(h) => h,
                        None => {
                            raw.insert(name.to_string(), Vec::new());
                            continue;
                        }
                    }
                }
                _ => v,
            };
            let members = match &listed.kind {
                Kind::Seq(items) => items
                    .iter()
                    .filter_map(|m| r.string(m, &format!("groups.{name}")))
                    .map(|s| (s.value, s.span))
                    .collect(),
                _ if listed.is_null() => Vec::new(),
                _ => r
                    .string_list(listed, &format!("groups.{name}"))
                    .into_iter()
                    .map(|s| (s.value, s.span))
                    .collect(),
            };
            raw.insert(name.to_string(), members);
        }
        for g in raw.keys() {
            let mut out = Vec::new();
            inventory_vars::flatten(&inv, &raw, g, &mut Vec::new(), &mut out, &mut r, file);
            inv.groups.insert(g.clone(), out);
        }
        let names: BTreeMap<String, Vec<String>> = raw
            .iter()
            .map(|(g, ms)| (g.clone(), ms.iter().map(|(m, _)| m.clone()).collect()))
            .collect();
        let hosts: Vec<String> = inv.hosts.keys().cloned().collect();
        inv.vars = inventory_vars::merge(&hosts, &names, &group_vars, &host_vars);
    } else {
        let hosts: Vec<String> = inv.hosts.keys().cloned().collect();
        inv.vars = inventory_vars::merge(&hosts, &BTreeMap::new(), &group_vars, &host_vars);
    }
    // The implicit group `all`: every host but the controller.
    let all: Vec<String> = inv.hosts.keys().filter(|h| *h != LOCAL).cloned().collect();
    inv.groups.insert("all".into(), all);
    (inv, r.diags)
}
