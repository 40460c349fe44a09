//! Ansible INI and YAML inventories: hosts, ranges, children, variables and their
//! precedence, translation onto drctl's host keys, and diagnostics with line:col.

use super::ini::expand_range;
use crate::diagnostic::{Diagnostic, Severity};
use crate::runbook::inventory::{Inventory, TransportKind, parse_inventory};
use crate::runbook::source::SourceFile;

fn load(name: &str, text: &str) -> (Inventory, Vec<Diagnostic>) {
    parse_inventory(&SourceFile::new(format!("/inv/{name}"), text))
}

fn errors(d: &[Diagnostic]) -> Vec<String> {
    d.iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{} {}: {}", d.location(), d.code, d.message))
        .collect()
}

const INI: &str = r#"# the estate
[primary]
db1 ansible_host=127.0.0.11 ansible_port=2201 ansible_user=dr

[standby]
db[2:3] ansible_host=127.0.0.12
web[01:02]:2222 note="two words"  # a comment

[dbs:children]
primary
standby

[dbs:vars]
pgdata=/srv/pg
site=group
ansible_user=postgres

[standby:vars]
site=standby

[all:vars]
ansible_ssh_private_key_file=keys/id
site=all
region = "eu west"
"#;

#[test]
fn ini_hosts_groups_children_ranges_and_connection_vars() {
    let (inv, d) = load("hosts", INI);
    assert!(errors(&d).is_empty(), "{d:?}");
    let names: Vec<&str> = inv.hosts.keys().map(String::as_str).collect();
    assert_eq!(names, ["db1", "db2", "db3", "local", "web01", "web02"]);
    assert_eq!(inv.groups["dbs"], ["db1", "db2", "db3", "web01", "web02"]);
    assert_eq!(inv.groups["standby"], ["db2", "db3", "web01", "web02"]);
    assert_eq!(inv.groups["all"].len(), 5, "all = every host but local");
    let db1 = &inv.hosts["db1"];
    assert_eq!((db1.addr.as_str(), db1.port), ("127.0.0.11", 2201));
    assert_eq!(db1.user, "dr", "host var beats group var");
    assert_eq!(inv.hosts["db2"].user, "postgres", "child group var applies");
    assert_eq!(inv.hosts["web01"].port, 2222, "host:port");
    assert_eq!(
        inv.hosts["web01"].addr, "web01",
        "no ansible_host: the name"
    );
    assert!(db1.identity.as_ref().unwrap().ends_with("/inv/keys/id"));
    assert_eq!(db1.transport, TransportKind::Ssh);
}

#[test]
fn ini_variable_precedence_is_all_then_parent_then_child_then_host() {
    let (inv, _) = load("hosts", INI);
    let var = |h: &str, k: &str| inv.vars[h].get(k).map(|v| v.to_string());
    assert_eq!(var("db1", "site").as_deref(), Some("group"));
    assert_eq!(var("db2", "site").as_deref(), Some("standby"));
    assert_eq!(var("db2", "pgdata").as_deref(), Some("/srv/pg"));
    assert_eq!(var("web01", "note").as_deref(), Some("two words"));
    assert_eq!(var("web01", "region").as_deref(), Some("eu west"));
    assert!(
        !inv.vars["db1"].contains_key("ansible_user"),
        "connection vars are no template vars"
    );
}

#[test]
fn ranges_expand_with_padding_letters_and_steps() {
    assert_eq!(expand_range("db[1:3]").unwrap(), ["db1", "db2", "db3"]);
    assert_eq!(expand_range("db[08:10]").unwrap(), ["db08", "db09", "db10"]);
    assert_eq!(expand_range("[a:c].x").unwrap(), ["a.x", "b.x", "c.x"]);
    assert_eq!(expand_range("n[1:5:2]").unwrap(), ["n1", "n3", "n5"]);
    assert_eq!(expand_range("r[1:2]-[a:b]").unwrap().len(), 4);
    assert!(expand_range("db[3:1]").is_err());
    assert!(expand_range("db[1:x]").is_err());
}

#[test]
fn ini_problems_are_named_with_line_and_column() {
    let text = "[db]\ndb1 ansible_connection=winrm\ndb2 ansible_password=x\ndb5 ansible_python_interpreter=/usr/bin/python3 ansible_foo=1\ndb3 bogus\ndb[4:x]\n[db:weird]\n";
    let (_, d) = load("hosts.ini", text);
    let e = errors(&d);
    assert!(
        e.iter().any(
            |m| m.starts_with("/inv/hosts.ini:2:24 ansible-unsupported") && m.contains("winrm")
        ),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("/inv/hosts.ini:3:5 ansible-unsupported")
                && m.contains("ansible_password")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("/inv/hosts.ini:5:5 ini-syntax")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("/inv/hosts.ini:6:1 bad-range")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("/inv/hosts.ini:7:5 ini-syntax")),
        "{e:?}"
    );
    let warned: Vec<String> = d
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| format!("{} {}", d.location(), d.code))
        .collect();
    assert_eq!(
        warned,
        [
            "/inv/hosts.ini:4:5 ansible-unused",
            "/inv/hosts.ini:4:49 ansible-unknown"
        ]
    );
}

#[test]
fn ini_proxy_jump_and_become_map_to_drctl_keys_or_are_named() {
    let (_, d) = load(
        "h",
        "[db]\ndb1 ansible_ssh_common_args='-o StrictHostKeyChecking=no'\n",
    );
    assert!(
        errors(&d)
            .iter()
            .any(|m| m.contains("StrictHostKeyChecking") && m.contains(":2:")),
        "{d:?}"
    );
    for (line, key) in [
        (
            "db1 ansible_ssh_common_args='-o ProxyJump=bastion'",
            "proxy_jump",
        ),
        (
            "db1 ansible_become=yes ansible_become_user=postgres",
            "become",
        ),
    ] {
        let (inv, d) = load("h", &format!("[db]\n{line}\n"));
        let known = crate::runbook::inventory::HOST_KEYS.contains(&key);
        assert_eq!(errors(&d).is_empty(), known, "{key}: {d:?}");
        assert!(inv.hosts.contains_key("db1"));
    }
}

#[test]
fn ansible_yaml_inventory_with_children_and_vars() {
    let text = r#"all:
  vars:
    site: all
    ansible_user: dr
  hosts:
    lb1:
      ansible_host: 127.0.0.20
  children:
    dbs:
      vars: { site: dbs, ansible_port: 2200 }
      children:
        primary:
          hosts:
            db1: { ansible_host: 127.0.0.11, site: db1 }
        standby:
          hosts:
            db[2:3]:
"#;
    let (inv, d) = load("hosts.yml", text);
    assert!(errors(&d).is_empty(), "{d:?}");
    assert_eq!(inv.groups["dbs"], ["db1", "db2", "db3"]);
    assert_eq!(inv.groups["ungrouped"], ["lb1"]);
    assert_eq!(inv.hosts["db2"].port, 2200);
    assert_eq!(inv.hosts["lb1"].port, 22);
    assert_eq!(inv.hosts["db3"].user, "dr");
    assert_eq!(inv.vars["db1"]["site"].to_string(), "db1");
    assert_eq!(inv.vars["db2"]["site"].to_string(), "dbs");
    assert_eq!(inv.vars["lb1"]["site"].to_string(), "all");
}

#[test]
fn ansible_yaml_problems_point_into_the_file() {
    let text = "all:\n  hosts:\n    db1:\n      ansible_host: 10.0.0.1\n      ansible_connection: docker\n      ansible_port: nope\n";
    let (_, d) = load("hosts.yml", text);
    let e = errors(&d);
    assert!(
        e.iter()
            .any(|m| m.starts_with("/inv/hosts.yml:5:27 ansible-unsupported")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("/inv/hosts.yml:6:21 wrong-type")),
        "{e:?}"
    );
}

#[test]
fn drctl_inventory_takes_host_and_group_vars_and_has_all() {
    let text = "hosts:\n  db1: { addr: 10.0.0.1, vars: { port_pg: 5433, site: host } }\n  db2: { addr: 10.0.0.2 }\ngroups:\n  dbs:\n    hosts: [db1, db2]\n    vars: { site: group, pgdata: /pg }\n  primary: [db1]\n";
    let (inv, d) = load("inv.yaml", text);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(inv.groups["all"], ["db1", "db2"]);
    assert_eq!(inv.groups["dbs"], ["db1", "db2"]);
    assert_eq!(inv.vars["db1"]["site"].to_string(), "host");
    assert_eq!(inv.vars["db2"]["site"].to_string(), "group");
    assert_eq!(inv.vars["db1"]["port_pg"].to_string(), "5433");
    let (_, d) = load(
        "inv.yaml",
        "hosts:\n  db1: { addr: x }\ngroups:\n  g: { hosts: [db1], var: {} }\n",
    );
    assert!(
        errors(&d).iter().any(|m| m.contains(":4:22 unknown-key")),
        "{d:?}"
    );
}

#[test]
fn inventory_variable_names_must_be_usable_and_not_built_in() {
    let (_, d) = load("hosts", "[all:vars]\nname=x\n[db]\ndb1 hosts=y pg-port=1\n");
    let e = errors(&d);
    assert!(
        e.iter()
            .any(|m| m.starts_with("/inv/hosts:2:1 reserved-var")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("/inv/hosts:4:5 reserved-var")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("/inv/hosts:4:13 bad-var-name")),
        "{e:?}"
    );
    let (_, d) = load(
        "inv.yaml",
        "hosts:\n  db1: { addr: x, vars: { hosts: 1 } }\n",
    );
    assert!(
        errors(&d).iter().any(|m| m.contains(":2:27 reserved-var")),
        "{d:?}"
    );
}
