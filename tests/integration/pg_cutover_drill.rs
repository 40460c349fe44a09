//! Issue 6, scenario 4: a cut-over drill of a real PostgreSQL service (clients moved from
//! the primary to its standby and back) with `drctl drill`: the endpoint, the data on both
//! sites and the synchronous replication are exactly as before; the report times phases.

use crate::pg::{net, run_example};

#[test]
fn cutover_drill_leaves_the_service_as_it_began_and_reports_phases() {
    let out = run_example("cutover-drill", &net(4), "");
    out.status(0)
        .output_has("after: identical")
        .output_has("site A rows: 1000|500500")
        .output_has("replication: h2 sync")
        // The switch happened (reads landed on site B) and was undone.
        .output_has("rollback switch on h3: ok");
    let prom =
        std::fs::read_to_string(out.sandbox().path("reports/drctl-site-cutover.prom")).unwrap();
    for phase in ["precheck", "cutover", "verify"] {
        let line = format!(
            "drctl_phase_seconds{{runbook=\"site-cutover\",kind=\"cutover\",mode=\"drill\",phase=\"{phase}\"}} "
        );
        assert!(prom.contains(&line), "{line} missing in {prom}");
    }
    assert!(prom.contains(
        "drctl_run_success{runbook=\"site-cutover\",kind=\"cutover\",mode=\"drill\"} 1\n"
    ));
}
