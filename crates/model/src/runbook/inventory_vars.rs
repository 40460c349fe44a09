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

/// Whether `group` holds `host`, directly or through nested groups (`raw`: group → members,
/// hosts or groups).
fn holds(
    raw: &BTreeMap<String, Vec<String>>,
    group: &str,
    host: &str,
    seen: &mut Vec<String>,
) -> bool {
    if seen.iter().any(|s| s == group) {
        return false;
    }
    seen.push(group.to_string());
    let found = raw.get(group).is_some_and(|ms| {
        ms.iter()
            .any(|m| m == host || (raw.contains_key(m) && holds(raw, m, host, seen)))
    });
    seen.pop();
    found
}

/// A group's depth: `all` is 0, a group no other group names is 1, a child is one deeper
/// than its deepest parent.
fn depth(raw: &BTreeMap<String, Vec<String>>, group: &str, seen: &mut BTreeSet<String>) -> usize {
    if group == "all" {
        return 0;
    }
    if !seen.insert(group.to_string()) {
        return 1;
    }
    let d = raw
        .iter()
        .filter(|(p, ms)| *p != "all" && ms.iter().any(|m| m == group))
        .map(|(p, _)| depth(raw, p, seen) + 1)
        .max()
        .unwrap_or(1);
    seen.remove(group);
    d
}

/// The groups whose variables apply to `host`, lowest precedence first: `all`, then every
/// group holding it by depth, then by name.
pub(crate) fn group_order(raw: &BTreeMap<String, Vec<String>>, host: &str) -> Vec<String> {
    let mut gs: Vec<(usize, String)> = raw
        .keys()
        .filter(|g| *g != "all" && holds(raw, g, host, &mut Vec::new()))
        .map(|g| (depth(raw, g, &mut BTreeSet::new()), g.clone()))
        .collect();
    gs.sort();
    std::iter::once("all".to_string())
        .chain(gs.into_iter().map(|(_, g)| g))
        .collect()
}

/// Variables of every host: group variables in precedence order, then the host's own.
pub(crate) fn merge(
    hosts: &[String],
    raw: &BTreeMap<String, Vec<String>>,
    group_vars: &BTreeMap<String, Vec<(String, &Node)>>,
    host_vars: &BTreeMap<String, Vec<(String, &Node)>>,
) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for h in hosts {
        let mut vars = BTreeMap::new();
        for g in group_order(raw, h) {
            for (k, v) in group_vars.get(&g).into_iter().flatten() {
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
        if crate::runbook::parse::RESERVED_VARS.contains(&k) {
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
            group_order(&r, "db2"),
            ["all", "dbs", "site", "east", "standby"]
        );
        assert_eq!(group_order(&r, "db1"), ["all", "dbs", "primary"]);
        assert_eq!(group_order(&r, "db9"), ["all"]);
    }

    #[test]
    fn a_cycle_does_not_loop() {
        let r = raw(&[("a", &["b", "h"]), ("b", &["a"])]);
        let order = group_order(&r, "h");
        assert!(order.contains(&"a".to_string()) && order.contains(&"b".to_string()));
    }
}
