//! Template names the inventory defines: `hosts.NAME.FIELD` (another host's facts) and the
//! inventory variables of the hosts a step runs on.

use std::collections::BTreeSet;

use crate::diagnostic::did_you_mean;
use crate::runbook::inventory::Inventory;

/// Fields of `hosts.NAME` a template may use.
pub const HOSTS_FIELDS: &[&str] = &["name", "addr", "port", "user", "vars"];

/// A problem with `hosts.NAME.FIELD`: the message and hint, or `None` when it is fine (or
/// there is no inventory to tell).
pub(crate) fn hosts_problem(var: &str, inv: Option<&Inventory>) -> Option<(String, String)> {
    let mut parts = var.split('.').skip(1);
    let (Some(name), Some(inv)) = (parts.next(), inv) else {
        return None;
    };
    if !inv.hosts.contains_key(name) {
        return Some((
            format!("`hosts.{name}`: the inventory has no host `{name}`"),
            did_you_mean(name, inv.hosts.keys().map(String::as_str))
                .unwrap_or_else(|| "name a host of the inventory".into()),
        ));
    }
    match parts.next() {
        Some(f) if !HOSTS_FIELDS.contains(&f) => Some((
            format!("`hosts.{name}.{f}` is not a host field"),
            did_you_mean(f, HOSTS_FIELDS.iter().copied())
                .unwrap_or_else(|| format!("host fields: {}", HOSTS_FIELDS.join(", "))),
        )),
        Some("vars") => match parts.next() {
            Some(v) if !inv.vars.get(name).is_some_and(|m| m.contains_key(v)) => Some((
                format!("host `{name}` has no inventory variable `{v}`"),
                "set it under the host's or one of its groups' `vars:`".into(),
            )),
            _ => None,
        },
        _ => None,
    }
}

/// `name` is an inventory variable of some host of the step (checked by [`inventory_var`]).
pub(crate) fn is_inventory_var(
    inv: Option<&Inventory>,
    hosts: Option<BTreeSet<String>>,
    name: &str,
) -> bool {
    inventory_var(inv, hosts, name) != Ok(false)
}

/// The hosts a step runs on, by the inventory (`None`: no inventory to tell).
pub(crate) fn step_hosts(
    inv: Option<&Inventory>,
    s: &crate::runbook::model::Step,
) -> Option<BTreeSet<String>> {
    let inv = inv?;
    let mut hosts = BTreeSet::new();
    for t in &s.on {
        hosts.extend(inv.resolve(&t.value)?);
    }
    Some(hosts)
}

/// `name` as an inventory variable of the hosts a step runs on: `Ok(true)` when every one
/// has it, `Ok(false)` when none does (or nothing tells), `Err` naming a host without it.
pub(crate) fn inventory_var(
    inv: Option<&Inventory>,
    hosts: Option<BTreeSet<String>>,
    name: &str,
) -> Result<bool, (String, String)> {
    let (Some(inv), Some(hosts)) = (inv, hosts) else {
        return Ok(false);
    };
    let has = |h: &String| inv.vars.get(h).is_some_and(|m| m.contains_key(name));
    let with: Vec<&String> = hosts.iter().filter(|h| has(h)).collect();
    if with.is_empty() {
        return Ok(false);
    }
    match hosts.iter().find(|h| !has(h)) {
        None => Ok(true),
        Some(h) => Err((
            format!(
                "`{name}` is an inventory variable of {} but not of `{h}`, where this step also runs",
                with.iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "set `{name}` for `{h}` too (or in a group's `vars:`), or under the runbook's `vars:` as a default"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::runbook::inventory::parse_inventory;
    use crate::runbook::parse::parse_runbook;
    use crate::runbook::source::SourceFile;

    fn diags(run: &str) -> Vec<String> {
        let rb = format!(
            "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: a\n    on: dbs\n    run: {run}\n"
        );
        let (rb, d) = parse_runbook(&SourceFile::new("/t/rb.yaml", rb));
        let rb = rb.unwrap_or_else(|| panic!("{d:?}"));
        let inv = "hosts:\n  db1: { addr: 192.0.2.1, vars: { pg: 1 } }\n  db2: { addr: 192.0.2.2 }\n  replica: { addr: 192.0.2.3, vars: { pg: 2 } }\ngroups:\n  dbs: [db1, db2]\n";
        let (inv, d) = parse_inventory(&SourceFile::new("/t/inv.yaml", inv));
        assert!(d.is_empty(), "{d:?}");
        let mut out = Vec::new();
        super::super::templates::check(&rb, Some(&inv), &BTreeSet::new(), &mut out);
        out.iter()
            .map(|d| {
                format!(
                    "{} {}: {} ({})",
                    d.location(),
                    d.code,
                    d.message,
                    d.hint.clone().unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn hosts_names_are_checked_with_did_you_mean() {
        assert!(diags("echo {{ hosts.replica.addr }} {{ hosts.replica.vars.pg }}").is_empty());
        let d = diags("echo {{ hosts.replika.addr }}");
        assert!(
            d[0].contains("no host `replika`") && d[0].contains("replica"),
            "{d:?}"
        );
        let d = diags("echo {{ hosts.replica.adr }}");
        assert!(
            d[0].contains("hosts.replica.adr") && d[0].contains("addr"),
            "{d:?}"
        );
    }

    #[test]
    fn an_inventory_var_must_be_set_on_every_host_of_the_step() {
        let d = diags("echo {{ pg }}");
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].contains("/t/rb.yaml:7:") && d[0].contains("not of `db2`"),
            "{d:?}"
        );
        assert!(diags("echo {{ nope }}")[0].contains("undefined variable"));
    }
}
