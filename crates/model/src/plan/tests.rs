//! Unit tests of plan resolution: defaults, secrets, inventory vars, drill mode, limits.

use super::*;
use crate::runbook::inventory::{LOCAL, parse_inventory};
use crate::runbook::parse::parse_runbook;
use crate::runbook::source::SourceFile;
use crate::template::{Engine, MASK, Mode};

const INV: &str = "hosts:\n  db1: { addr: 192.0.2.1 }\n  db2: { addr: 192.0.2.2, port: 2200 }\ngroups:\n  dbs: [db1, db2]\n";
const RB: &str = r#"drctl: 1
kind: failover
name: t
vars:
  token: { env: TOKEN, secret: true }
  site: east
defaults:
  timeout: 2m
  on_failure: abort
steps:
  - id: check
    on: dbs
    run: echo {{ site }} {{ token }}
    drill: echo rehearsal
  - id: notify
    on: local
    run: echo done
    timeout: 5s
    on_failure: continue
  - id: wipe
    on: db2
    run: rm -rf /tmp/x
    drill: skip
"#;

fn resolve_with(mode: RunMode, limit: Option<&[&str]>) -> Result<Plan, PlanError> {
    let (rb, diags) = parse_runbook(&SourceFile::new("/t/rb.yaml", RB));
    let rb = rb.unwrap_or_else(|| panic!("{diags:?}"));
    let (inv, diags) = parse_inventory(&SourceFile::new("/t/inv.yaml", INV));
    assert!(diags.is_empty(), "{diags:?}");
    let opts = PlanOptions {
        mode,
        run_id: "t-1".into(),
        limit: limit.map(|l| l.iter().map(|s| s.to_string()).collect()),
        extra_vars: [("site".to_string(), "west".to_string())].into(),
    };
    resolve(Arc::new(rb), inv, &opts, &|k| {
        (k == "TOKEN").then(|| "s3cr3t".to_string())
    })
}

#[test]
fn defaults_apply_and_steps_keep_their_own_settings() {
    let p = resolve_with(RunMode::Run, None).unwrap();
    let names =
        |i: usize| -> Vec<&str> { p.steps[i].hosts.iter().map(|h| h.name.as_str()).collect() };
    assert_eq!(names(0), ["db1", "db2"]);
    assert_eq!(p.steps[0].timeout, Duration::from_secs(120));
    assert_eq!(p.steps[0].on_failure, OnFailure::Abort);
    assert_eq!(p.steps[1].timeout, Duration::from_secs(5));
    assert_eq!(p.steps[1].on_failure, OnFailure::Continue);
    assert_eq!(p.steps[0].hosts[1].port, 2200);
    assert!(!p.steps[2].skipped_by_mode);
}

#[test]
fn secrets_are_real_for_commands_and_masked_for_display() {
    let p = resolve_with(RunMode::Run, None).unwrap();
    assert_eq!(p.context["token"].to_string(), "s3cr3t");
    assert_eq!(p.display_context["token"].to_string(), MASK);
    assert_eq!(p.context["site"].to_string(), "west", "-e wins");
    assert_eq!(p.masker.mask("token=s3cr3t"), format!("token={MASK}"));
    assert!(p.missing_env.is_empty());
}

#[test]
fn inventory_vars_sit_between_runbook_vars_and_e_and_hosts_name_every_host() {
    let (rb, _) = parse_runbook(&SourceFile::new("/t/rb.yaml", RB));
    let inv = "hosts:\n  db1: { addr: 192.0.2.1, vars: { site: host, pg: '5433' } }\n  db2: { addr: 192.0.2.2, port: 2200 }\ngroups:\n  dbs: { hosts: [db1, db2], vars: { pg: '5432', token: grp } }\n";
    let (inv, d) = parse_inventory(&SourceFile::new("/t/inv.yaml", inv));
    assert!(d.is_empty(), "{d:?}");
    let opts = PlanOptions {
        mode: RunMode::Run,
        run_id: "t-1".into(),
        limit: None,
        extra_vars: [("site".to_string(), "cli".to_string())].into(),
    };
    let p = resolve(Arc::new(rb.unwrap()), inv, &opts, &|_| None).unwrap();
    let e = Engine::default();
    let st = &p.steps[0];
    let render = |h: usize, src: &str| {
        p.render(
            &e,
            src,
            Mode::Text,
            st,
            Some(&st.hosts[h]),
            &BTreeMap::new(),
            false,
        )
        .unwrap()
    };
    assert_eq!(render(0, "{{ site }} {{ pg }} {{ token }}"), "cli 5433 grp");
    assert_eq!(render(1, "{{ site }} {{ pg }}"), "cli 5432");
    assert_eq!(
        render(
            0,
            "{{ hosts.db2.addr }}:{{ hosts.db2.port }} {{ hosts.db1.vars.pg }}"
        ),
        "192.0.2.2:2200 5433"
    );
}

#[test]
fn drill_mode_replaces_and_skips_commands() {
    let p = resolve_with(RunMode::Drill, None).unwrap();
    assert_eq!(p.steps[0].command.as_deref(), Some("echo rehearsal"));
    assert!(p.steps[2].skipped_by_mode);
    assert_eq!(p.context["mode"].to_string(), "drill");
}

#[test]
fn limit_keeps_local_and_unknown_names_are_refused_with_a_hint() {
    let p = resolve_with(RunMode::Run, Some(&["db*", "!db1"])).unwrap();
    assert_eq!(p.steps[0].hosts.len(), 1);
    assert_eq!(p.steps[0].hosts[0].name, "db2");
    assert_eq!(
        p.steps[1].hosts[0].name, LOCAL,
        "--limit never removes local"
    );
    let e = resolve_with(RunMode::Run, Some(&["db1"])).unwrap_err();
    assert!(
        matches!(&e, PlanError::LimitEmptiesStep { steps, .. } if steps == &["wipe"]),
        "{e:?}"
    );
    assert!(e.to_string().contains("step `wipe`"), "{e}");
    let p = resolve_with(RunMode::Drill, Some(&["db1"])).unwrap();
    assert!(
        p.steps[2].hosts.is_empty(),
        "a step drill skips may lose its hosts"
    );
    let e = resolve_with(RunMode::Run, Some(&["db9"])).unwrap_err();
    assert!(matches!(&e, PlanError::UnknownLimit { name, .. } if name == "db9"));
    assert!(e.hint().is_some());
}
