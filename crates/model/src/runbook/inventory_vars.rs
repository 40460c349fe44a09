//! Inventory groups and variables: nested groups flattened, per-group and per-host `vars:`
//! read and merged per host with Ansible's
//! precedence (`all` < parent group < child group, groups of equal depth by name < the
//! host's own), the group order that precedence needs, and small node constructors for the
//! trees the Ansible readers build.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::Value;

use std::sync::Arc;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::runbook::inventory::Inventory;
use crate::runbook::parse::to_value;
use crate::runbook::reader::Reader;
use crate::runbook::source::{SourceFile, Span};
use crate::runbook::yaml::{Kind, Node};

/// A node of a built tree.
pub(crate) fn node(kind: Kind, span: Span) -> Node {
    Node { kind, span }
}

/// A scalar node; `plain` scalars are typed (numbers, booleans) like YAML's plain ones.
pub(crate) fn scalar(value: &str, span: Span, plain: bool) -> Node {
    node(
        Kind::Scalar {
            value: value.to_string(),
            plain,
        },
        span,
    )
}

/// Groups in precedence order, each with every host it holds (nested groups flattened),
/// computed once: `raw` is group → members, hosts or groups.
pub(crate) struct GroupIndex {
    /// (depth, name, hosts), sorted by depth then name; `all` is not in it.
    order: Vec<(usize, String, BTreeSet<String>)>,
}

/// The hosts `group` holds, directly or through nested groups (each group visited once,
/// so a cycle ends).
fn hosts_of(raw: &BTreeMap<String, Vec<String>>, group: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut seen = BTreeSet::from([group]);
    let mut todo = vec![group];
    while let Some(g) = todo.pop() {
        for m in raw.get(g).into_iter().flatten() {
            if raw.contains_key(m) {
                if seen.insert(m.as_str()) {
                    todo.push(m.as_str());
                }
            } else {
                out.insert(m.clone());
            }
        }
    }
    out
}

/// A group's depth: `all` is 0, a group no other group names is 1, a child is one deeper
/// than its deepest parent.
fn depth(
    parents: &BTreeMap<&str, Vec<&str>>,
    group: &str,
    memo: &mut BTreeMap<String, usize>,
    visiting: &mut BTreeSet<String>,
) -> usize {
    if group == "all" {
        return 0;
    }
    if let Some(d) = memo.get(group) {
        return *d;
    }
    if !visiting.insert(group.to_string()) {
        return 1;
    }
    let d = parents
        .get(group)
        .into_iter()
        .flatten()
        .filter(|p| **p != "all")
        .map(|p| depth(parents, p, memo, visiting) + 1)
        .max()
        .unwrap_or(1);
    visiting.remove(group);
    memo.insert(group.to_string(), d);
    d
}

impl GroupIndex {
    pub(crate) fn new(raw: &BTreeMap<String, Vec<String>>) -> Self {
        let mut parents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (g, ms) in raw {
            for m in ms.iter().filter(|m| raw.contains_key(*m)) {
                parents.entry(m.as_str()).or_default().push(g.as_str());
            }
        }
        let mut depth_memo = BTreeMap::new();
        let mut order: Vec<(usize, String, BTreeSet<String>)> = raw
            .keys()
            .filter(|g| *g != "all")
            .map(|g| {
                let d = depth(&parents, g, &mut depth_memo, &mut BTreeSet::new());
                let hs = hosts_of(raw, g);
                (d, g.clone(), hs)
            })
            .collect();
        order.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Self { order }
    }

    /// The groups whose variables apply to `host`, lowest precedence first: `all`, then
    /// every group holding it by depth, then by name.
    pub(crate) fn order(&self, host: &str) -> Vec<&str> {
        std::iter::once("all")
            .chain(
                self.order
                    .iter()
                    .filter(|(_, _, hs)| hs.contains(host))
                    .map(|(_, g, _)| g.as_str()),
            )
            .collect()
    }
}

/// Variables of every host: group variables in precedence order, then the host's own.
pub(crate) fn merge(
    hosts: &[String],
    raw: &BTreeMap<String, Vec<String>>,
    group_vars: &BTreeMap<String, Vec<(String, &Node)>>,
    host_vars: &BTreeMap<String, Vec<(String, &Node)>>,
) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    if group_vars.is_empty() && host_vars.is_empty() {
        return out;
    }
    let index = GroupIndex::new(raw);
    for h in hosts {
        let mut vars = BTreeMap::new();
        for g in index.order(h) {
            for (k, v) in group_vars.get(g).into_iter().flatten() {
                vars.insert(k.clone(), to_value(v));
            }
        }
        for (k, v) in host_vars.get(h).into_iter().flatten() {
            vars.insert(k.clone(), to_value(v));
        }
        if !vars.is_empty() {
            out.insert(h.clone(), vars);
        }
    }
    out
}

/// The `vars:` of a host or group: a mapping of names to values.
pub(crate) fn vars_of<'n>(r: &mut Reader, n: &'n Node, path: &str) -> Vec<(String, &'n Node)> {
    let Some(f) = r.map(n, path, &[]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, kn, v) in f.iter() {
        let ident_ok = k
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident_ok {
            r.error(
                kn,
                "bad-var-name",
                format!("variable name `{k}` cannot be used in templates"),
            )
            .hint = Some("use letters, digits and _ (e.g. `pg_port`)".into());
        } else if crate::runbook::parse::RESERVED_VARS.contains(&k) {
            r.error(
                kn,
                "reserved-var",
                format!("`{k}` is a built-in template variable"),
            )
            .hint = Some("choose another name".into());
        } else {
            out.push((k.to_string(), v));
        }
    }
    out
}

/// A group's members, nested groups flattened; unknown names and cycles are diagnosed.
pub(crate) fn flatten(
    inv: &Inventory,
    raw: &BTreeMap<String, Vec<(String, Span)>>,
    group: &str,
    seen: &mut Vec<String>,
    out: &mut Vec<String>,
    r: &mut Reader,
    file: &Arc<SourceFile>,
) {
    if seen.iter().any(|s| s == group) {
        return;
    }
    seen.push(group.to_string());
    for (m, span) in &raw[group] {
        if inv.hosts.contains_key(m) {
            if !out.contains(m) {
                out.push(m.clone());
            }
        } else if raw.contains_key(m) {
            if seen.iter().any(|s| s == m) {
                if seen.len() == 1 || seen[0] == *group {
                    r.diags.push(Diagnostic::error(
                        file,
                        *span,
                        "group-cycle",
                        format!("group `{group}` contains itself through `{m}`"),
                    ));
                }
                continue;
            }
            flatten(inv, raw, m, seen, out, r, file);
        } else if seen.len() == 1 {
            let names: Vec<&str> = inv
                .hosts
                .keys()
                .chain(raw.keys())
                .map(String::as_str)
                .collect();
            let hint = did_you_mean(m, names).unwrap_or_else(|| "add it under `hosts:`".into());
            r.diags.push(
                Diagnostic::error(
                    file,
                    *span,
                    "unknown-host",
                    format!("group `{group}` names unknown host `{m}`"),
                )
                .hint(hint),
            );
        }
    }
    seen.pop();
}

/// `hosts.NAME.{name,addr,port,user,vars}` for every inventory host: another host's facts,
/// usable in any command without capturing them.
pub fn hosts_context(inv: &Inventory) -> Value {
    let empty = BTreeMap::new();
    Value::from_pairs(inv.hosts.iter().map(|(n, h)| {
        let vars = inv.vars.get(n).unwrap_or(&empty);
        let fields: BTreeMap<&str, Value> = BTreeMap::from([
            ("name", Value::from(h.name.as_str())),
            ("addr", Value::from(h.addr.as_str())),
            ("port", Value::from(h.port)),
            ("user", Value::from(h.user.as_str())),
            ("vars", Value::from_pairs(vars.clone())),
        ]);
        (n.clone(), Value::from_pairs(fields))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(g, ms)| (g.to_string(), ms.iter().map(|m| m.to_string()).collect()))
            .collect()
    }

    #[test]
    fn all_first_then_parents_before_children_then_by_name() {
        let r = raw(&[
            ("dbs", &["primary", "standby"]),
            ("standby", &["db2"]),
            ("primary", &["db1"]),
            ("east", &["db2"]),
            ("site", &["east"]),
        ]);
        assert_eq!(
            GroupIndex::new(&r).order("db2"),
            ["all", "dbs", "site", "east", "standby"]
        );
        assert_eq!(GroupIndex::new(&r).order("db1"), ["all", "dbs", "primary"]);
        assert_eq!(GroupIndex::new(&r).order("db9"), ["all"]);
    }

    #[test]
    fn a_cycle_does_not_loop() {
        let r = raw(&[("a", &["b", "h"]), ("b", &["a"])]);
        let index = GroupIndex::new(&r);
        let order = index.order("h");
        assert!(order.contains(&"a") && order.contains(&"b"));
    }
}
