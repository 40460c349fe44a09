//! Ansible's YAML inventory: top-level groups (usually `all`), each a mapping of `hosts:`
//! (host → its variables), `children:` (group → the same shape) and `vars:`.

use std::sync::Arc;

use super::{AnsibleInventory, Group, expand};
use crate::diagnostic::Diagnostic;
use crate::runbook::source::SourceFile;
use crate::runbook::yaml::{Kind, Node};

const GROUP_KEYS: &[&str] = &["hosts", "children", "vars"];

/// A YAML tree that is an Ansible inventory: a mapping without drctl's top-level keys whose
/// values are all group bodies (mappings of `hosts`/`children`/`vars`, or empty), with a
/// group `all` or at least one group body that is not empty.
pub(crate) fn looks_like_ansible_yaml(root: &Node) -> bool {
    let Kind::Map(items) = &root.kind else {
        return false;
    };
    items
        .iter()
        .any(|(k, v)| k.as_str() == Some("all") || matches!(v.kind, Kind::Map(_)))
        && items.iter().all(|(k, v)| {
            !k.as_str()
                .is_some_and(|k| ["defaults", "hosts", "groups"].contains(&k))
                && is_group_body(v)
        })
}

fn is_group_body(v: &Node) -> bool {
    match &v.kind {
        Kind::Map(entries) => entries
            .iter()
            .all(|(k, _)| k.as_str().is_some_and(|k| GROUP_KEYS.contains(&k))),
        _ => v.is_null(),
    }
}

fn entries(n: &Node) -> &[(Node, Node)] {
    match &n.kind {
        Kind::Map(e) => e,
        _ => &[],
    }
}

/// Read the tree into the intermediate form.
pub(crate) fn parse_ansible_yaml(
    file: &Arc<SourceFile>,
    root: &Node,
    diags: &mut Vec<Diagnostic>,
) -> AnsibleInventory {
    let mut inv = AnsibleInventory::default();
    inv.groups.insert("ungrouped".into(), Group::default());
    for (k, v) in entries(root) {
        group(file, &mut inv, k, v, diags, 0);
    }
    inv
}

fn group(
    file: &Arc<SourceFile>,
    inv: &mut AnsibleInventory,
    name: &Node,
    body: &Node,
    diags: &mut Vec<Diagnostic>,
    depth: usize,
) {
    let Some(g) = name.as_str().map(str::to_string) else {
        diags.push(Diagnostic::error(
            file,
            name.span,
            "wrong-type",
            "a group name must be a plain name",
        ));
        return;
    };
    inv.groups.entry(g.clone()).or_insert_with(|| Group {
        span: name.span,
        ..Group::default()
    });
    if depth > 32 {
        diags.push(Diagnostic::error(
            file,
            name.span,
            "too-deep",
            "groups nested more than 32 levels",
        ));
        return;
    }
    if body.is_null() {
        return;
    }
    if !is_group_body(body) {
        diags.push(
            Diagnostic::error(
                file,
                body.span,
                "wrong-type",
                format!("group `{g}` must be a mapping of hosts, children and vars"),
            )
            .hint("e.g. `{g}: {{ hosts: {{ db1: {{ ansible_host: 10.0.0.1 }} }} }}`"),
        );
        return;
    }
    for (k, v) in entries(body) {
        match k.as_str().unwrap_or_default() {
            "hosts" => {
                if !matches!(v.kind, Kind::Map(_)) && !v.is_null() {
                    diags.push(Diagnostic::error(
                        file,
                        v.span,
                        "wrong-type",
                        format!("`{g}.hosts` must be a mapping of host names"),
                    ));
                    continue;
                }
                for (hk, hv) in entries(v) {
                    let Some(pat) = hk.as_str() else { continue };
                    let vars: Vec<(Node, Node)> = match &hv.kind {
                        Kind::Map(e) => e.clone(),
                        _ if hv.is_null() => Vec::new(),
                        _ => {
                            diags.push(Diagnostic::error(
                                file,
                                hv.span,
                                "wrong-type",
                                format!(
                                    "host `{pat}` must have a mapping of variables (or nothing)"
                                ),
                            ));
                            continue;
                        }
                    };
                    for n in expand(file, pat, hk.span, diags) {
                        inv.groups
                            .get_mut(&g)
                            .expect("inserted")
                            .hosts
                            .push((n.clone(), hk.span));
                        let e = inv.hosts.entry(n).or_insert_with(|| (hk.span, Vec::new()));
                        e.1.extend(vars.iter().cloned());
                    }
                }
            }
            "children" => {
                if !matches!(v.kind, Kind::Map(_)) && !v.is_null() {
                    diags.push(Diagnostic::error(
                        file,
                        v.span,
                        "wrong-type",
                        format!("`{g}.children` must be a mapping of groups"),
                    ));
                    continue;
                }
                for (ck, cv) in entries(v) {
                    if let Some(c) = ck.as_str() {
                        inv.groups
                            .get_mut(&g)
                            .expect("inserted")
                            .children
                            .push((c.to_string(), ck.span));
                    }
                    group(file, inv, ck, cv, diags, depth + 1);
                }
            }
            _ => match &v.kind {
                Kind::Map(e) => inv
                    .groups
                    .get_mut(&g)
                    .expect("inserted")
                    .vars
                    .extend(e.iter().cloned()),
                _ if v.is_null() => {}
                _ => diags.push(Diagnostic::error(
                    file,
                    v.span,
                    "wrong-type",
                    format!("`{g}.vars` must be a mapping"),
                )),
            },
        }
    }
}
