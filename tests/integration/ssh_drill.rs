//! Drills against real sshd hosts: the hosts end as they began, failures still clean up,
//! a missed RTO is exit 1, and the reports (JUnit parsed as XML, Prometheus line by line,
//! Markdown) say what happened.

use std::collections::BTreeMap;
use std::path::Path;

use crate::builder::{Drctl, Outcome};
use crate::lab::Lab;

/// Every file under a host's folder (but the `log` the runbook keeps) with its contents.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name != "log" {
            m.insert(name, std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    m
}

fn seed(lab: &Lab) {
    let w = |h: &str, f: &str, v: &str| std::fs::write(lab.host(h).dir.join(f), v).unwrap();
    w("h1", "role", "primary\n");
    w("h2", "role", "standby\n");
    w("h3", "upstream", "h1\n");
}

/// A failover of h1 (primary) to h2 (standby), h3 is the proxy. `{{ extra }}` lets a test
/// make one step fail or sleep.
const FAILOVER: &str = r#"drctl: 1
kind: failover
name: lab-drill
severity: P1
objectives:
  rto: 30s
steps:
  - id: standby-healthy
    phase: precheck
    on: standby
    run: echo standby-healthy >> "$HOST_DIR/log"; grep -qx standby "$HOST_DIR/role"
  - id: page-oncall
    phase: precheck
    on: proxy
    run: echo PAGED >> "$HOST_DIR/paged"
    drill: skip
  - id: fence-primary
    phase: failover
    on: primary
    run: echo fence >> "$HOST_DIR/log"; mv "$HOST_DIR/role" "$HOST_DIR/role.fenced"
    rollback: echo unfence >> "$HOST_DIR/log"; mv "$HOST_DIR/role.fenced" "$HOST_DIR/role"
  - id: promote
    phase: failover
    on: standby
    run: echo promote >> "$HOST_DIR/log"; echo primary > "$HOST_DIR/role"
    rollback: echo demote >> "$HOST_DIR/log"; echo standby > "$HOST_DIR/role"
  - id: repoint
    phase: switch
    on: proxy
    run: echo repoint >> "$HOST_DIR/log"; cp "$HOST_DIR/upstream" "$HOST_DIR/upstream.bak"; echo h2 > "$HOST_DIR/upstream"
    rollback: echo restore-upstream >> "$HOST_DIR/log"; mv "$HOST_DIR/upstream.bak" "$HOST_DIR/upstream"
  - id: smoke
    phase: verify
    on: proxy
    run: echo "real smoke test" >> "$HOST_DIR/log"
    drill: echo "drill smoke {{ mode }}" >> "$HOST_DIR/log"; grep -qx h2 "$HOST_DIR/upstream"EXTRA
"#;

fn lab3() -> Lab {
    let lab = Lab::start(3);
    seed(&lab);
    lab
}

/// `drctl drill` of the runbook on the lab's hosts (h1 primary, h2 standby, h3 proxy),
/// reports in `<lab>/reports`.
fn drill(lab: &Lab, runbook: &str) -> Outcome {
    let inv = lab.inventory(&[
        ("primary", &["h1"]),
        ("standby", &["h2"]),
        ("proxy", &["h3"]),
    ]);
    Drctl::new()
        .lab(lab)
        .inventory(&inv)
        .runbook("drill.yaml", runbook)
        .args(["drill", "{runbook}", "-i", "{inventory}"])
        .args(["--report-dir", "{dir}/reports"])
        .run()
}

/// Checks every line of a Prometheus text file and returns its samples by name{labels}.
fn prom_samples(text: &str) -> BTreeMap<String, f64> {
    let sample = regex::Regex::new(
        r#"^(drctl_[a-z_]+)\{([a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*)\} (-?[0-9]+(\.[0-9]+)?)$"#,
    )
    .unwrap();
    let mut typed = Vec::new();
    let mut out = BTreeMap::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert_eq!(kind, "gauge", "{l}");
            typed.push(name.to_string());
        } else if !l.starts_with("# HELP drctl_") {
            let c = sample
                .captures(l)
                .unwrap_or_else(|| panic!("bad line: {l:?}"));
            assert!(
                typed.contains(&c[1].to_string()),
                "sample before its TYPE: {l}"
            );
            out.insert(format!("{}{{{}}}", &c[1], &c[2]), c[4].parse().unwrap());
        }
    }
    out
}

fn get(samples: &BTreeMap<String, f64>, name: &str, extra: &str) -> f64 {
    let key = format!("{name}{{runbook=\"lab-drill\",kind=\"failover\",mode=\"drill\"{extra}}}");
    *samples
        .get(&key)
        .unwrap_or_else(|| panic!("no {key} in {samples:?}"))
}

#[test]
fn drill_returns_every_host_to_its_initial_state_and_reports_it() {
    let lab = lab3();
    let before: Vec<_> = ["h1", "h2", "h3"]
        .map(|h| snapshot(&lab.host(h).dir))
        .into();
    let out = drill(&lab, &FAILOVER.replace("EXTRA", ""));
    out.status(0);
    let reports = lab.path().join("reports");

    // Forward in order, the drill replacement instead of the real command, rollback newest first.
    assert_eq!(lab.lines("h1", "log"), ["fence", "unfence"]);
    assert_eq!(
        lab.lines("h2", "log"),
        ["standby-healthy", "promote", "demote"]
    );
    assert_eq!(
        lab.lines("h3", "log"),
        ["repoint", "drill smoke drill", "restore-upstream"]
    );
    let after: Vec<_> = ["h1", "h2", "h3"]
        .map(|h| snapshot(&lab.host(h).dir))
        .into();
    assert_eq!(
        before, after,
        "a drill must leave the hosts as it found them"
    );
    assert_eq!(lab.read("h3", "paged"), "", "`drill: skip` must not run");

    out.stderr_has("recovery time: ")
        .stderr_has("objective 30s: MET")
        .stderr_has("phases: precheck ");

    // JUnit: 5 forward step-hosts + 3 rollbacks + 1 skipped + the objective.
    let xml = std::fs::read_to_string(reports.join("drctl-lab-drill.junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit is well-formed XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 10, "{xml}");
    let named = |n: &str| cases.iter().any(|c| c.attribute("name") == Some(n));
    assert!(
        named("promote @ h2") && named("rollback promote @ h2") && named("recovery time objective"),
        "{xml}"
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        0
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("skipped"))
            .count(),
        1
    );
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("10"));
    assert_eq!(suite.attribute("failures"), Some("0"));

    // Prometheus: every line well-formed, the values right.
    let prom = std::fs::read_to_string(reports.join("drctl-lab-drill.prom")).unwrap();
    let s = prom_samples(&prom);
    assert_eq!(get(&s, "drctl_run_success", ""), 1.0);
    assert_eq!(get(&s, "drctl_rto_met", ""), 1.0);
    assert_eq!(get(&s, "drctl_rto_objective_seconds", ""), 30.0);
    let rto = get(&s, "drctl_recovery_seconds", "");
    assert!(rto > 0.0 && rto < 30.0, "{rto}");
    for p in ["precheck", "failover", "switch", "verify"] {
        assert!(get(&s, "drctl_phase_seconds", &format!(",phase=\"{p}\"")) >= 0.0);
    }
    assert_eq!(get(&s, "drctl_failed_commands", ""), 0.0);
    let ts = get(&s, "drctl_last_run_timestamp_seconds", "");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - ts).abs() < 120.0, "{ts} vs {now}");

    let md = std::fs::read_to_string(reports.join("drctl-lab-drill.md")).unwrap();
    for want in [
        "# After-action report: lab-drill (drill)",
        "severity P1",
        "**drill-passed** (exit 0)",
        "| failover | fence-primary, promote |",
        "rollback `promote` | h2 | ok",
        "Nothing: every step",
    ] {
        assert!(md.contains(want), "{want:?} not in\n{md}");
    }
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("drctl-lab-drill.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["recovery"]["met"], true);
    assert_eq!(json["steps"].as_array().unwrap().len(), 6);
}

#[test]
fn drill_with_a_failing_step_reports_it_and_still_cleans_up() {
    let lab = lab3();
    let before: Vec<_> = ["h1", "h2", "h3"]
        .map(|h| snapshot(&lab.host(h).dir))
        .into();
    let out = drill(
        &lab,
        &FAILOVER.replace(
            "EXTRA",
            "; echo 'smoke test - 502 from upstream' >&2; false",
        ),
    );
    out.status(1)
        .stderr_has("drill failed")
        // The stderr tail is shown.
        .stderr_has("502 from upstream");
    let reports = lab.path().join("reports");
    assert_eq!(
        lab.lines("h3", "log"),
        ["repoint", "drill smoke drill", "restore-upstream"]
    );
    assert_eq!(lab.lines("h1", "log"), ["fence", "unfence"]);
    let after: Vec<_> = ["h1", "h2", "h3"]
        .map(|h| snapshot(&lab.host(h).dir))
        .into();
    assert_eq!(before, after);

    let xml = std::fs::read_to_string(reports.join("drctl-lab-drill.junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failed: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .map(|f| f.parent().unwrap().attribute("name").unwrap().to_string())
        .collect();
    // A failed drill never met its recovery time objective, however fast it went.
    assert_eq!(failed, ["smoke @ h3", "recovery time objective"], "{xml}");
    assert!(
        xml.contains("NOT MET (the run did not recover: drill-failed)"),
        "{xml}"
    );
    let s = prom_samples(&std::fs::read_to_string(reports.join("drctl-lab-drill.prom")).unwrap());
    assert_eq!(get(&s, "drctl_run_success", ""), 0.0);
    assert_eq!(get(&s, "drctl_failed_commands", ""), 1.0);
    let md = std::fs::read_to_string(reports.join("drctl-lab-drill.md")).unwrap();
    assert!(
        md.contains("### `smoke` on `h3`, exit 1") && md.contains("502 from upstream"),
        "{md}"
    );
}

#[test]
fn rto_objective_set_too_low_is_exit_1_with_the_measured_time() {
    let lab = lab3();
    let out = drill(
        &lab,
        &FAILOVER
            .replace("rto: 30s", "rto: 200ms")
            .replace("EXTRA", "; sleep 0.5"),
    );
    out.status(1)
        .stderr_has("missed the objective 200ms")
        .stderr_has("objective 200ms: MISSED");
    let reports = lab.path().join("reports");
    // Still cleaned up.
    assert_eq!(
        lab.lines("h2", "log"),
        ["standby-healthy", "promote", "demote"]
    );
    let s = prom_samples(&std::fs::read_to_string(reports.join("drctl-lab-drill.prom")).unwrap());
    assert_eq!(get(&s, "drctl_rto_met", ""), 0.0);
    assert_eq!(get(&s, "drctl_run_success", ""), 0.0);
    assert!(get(&s, "drctl_recovery_seconds", "") >= 0.5);
    let xml = std::fs::read_to_string(reports.join("drctl-lab-drill.junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let f = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("the objective fails");
    assert_eq!(
        f.parent().unwrap().attribute("name"),
        Some("recovery time objective")
    );
}

#[test]
fn drill_whose_cleanup_fails_says_so_loudly_with_exit_3() {
    let lab = lab3();
    // The proxy's rollback cannot work: the backup it restores from is gone.
    let out = drill(
        &lab,
        &FAILOVER.replace("EXTRA", "; rm \"$HOST_DIR/upstream.bak\""),
    );
    out.status(3)
        .stderr_has("LEFT FOR A HUMAN")
        .stderr_has("the rollback of step `repoint` failed on `h3`");
    // Nothing older was touched after the failed rollback: a human decides.
    assert_eq!(lab.lines("h2", "log"), ["standby-healthy", "promote"]);
    out.drctl()
        .args(["report", "--format", "md"])
        .run()
        .stdout_has("**rollback FAILED**")
        .stdout_has("step `promote` is still applied on h2");
}
