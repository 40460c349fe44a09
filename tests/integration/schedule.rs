//! The example crontab line, run as cron would (no terminal, no stdin), on the embedded
//! local drill: it passes, leaves reports for CI and Prometheus, and logs to its file.

use crate::builder::Drctl;

#[test]
fn the_example_crontab_line_runs_a_drill_and_drops_reports() {
    let d = Drctl::new();
    let root = env!("CARGO_MANIFEST_DIR");
    let crontab = std::fs::read_to_string(format!("{root}/examples/schedule/crontab")).unwrap();
    let line = crontab
        .lines()
        .find(|l| !l.starts_with('#') && l.contains("drctl drill"))
        .expect("a drill line");
    let cmd: String = line
        .split_whitespace()
        .skip(5)
        .collect::<Vec<_>>()
        .join(" ");
    let t = d.sandbox().root().display().to_string();
    let cmd = cmd
        .replace(
            "/etc/drctl/runbooks/site-cutover-drill.yaml",
            &format!("{root}/examples/local/cutover-drill.yaml"),
        )
        .replace("-i /etc/drctl/inventory.yaml", &format!("-e lab={t}/demo"))
        .replace("/var/", &format!("{t}/var/"));
    std::fs::create_dir_all(d.sandbox().path("var/log/drctl")).unwrap();
    let out = d.shell(&cmd).run();
    out.status(0).check(
        out.stderr().lines().count() == 1,
        "cron mail on success is one line",
    );
    let sb = out.sandbox();
    let reports = sb.path("var/lib/drctl/reports");
    for f in ["md", "json", "junit.xml", "prom"] {
        let p = reports.join(format!("drctl-local-cutover-drill.{f}"));
        assert!(p.is_file(), "{} missing", p.display());
    }
    let prom = std::fs::read_to_string(reports.join("drctl-local-cutover-drill.prom")).unwrap();
    assert!(
        prom.contains(
            "drctl_run_success{runbook=\"local-cutover-drill\",kind=\"cutover\",mode=\"drill\"} 1\n"
        ),
        "{prom}"
    );
    let log = std::fs::read_to_string(sb.path("var/log/drctl/drill.log")).unwrap();
    assert!(log.contains("rolling back switch on local"), "{log}");
    assert_eq!(
        std::fs::read_to_string(sb.path("demo/active")).unwrap(),
        "site-a\n"
    );
}
