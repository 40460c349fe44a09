//! Renderings of an after-action report: Markdown for people, JSON for tools, JUnit XML for
//! CI dashboards (one test case per step and host), Prometheus text format for the
//! node_exporter textfile collector. All are built from the same [`RunReport`].

mod junit;
mod markdown;
mod prometheus;

pub use junit::junit;
pub use markdown::markdown;
pub use prometheus::prometheus;

use std::fmt::Write as _;
use std::time::Duration;

use super::after_action::RunReport;
use drctl_model::runbook::duration::format_duration;

/// The formats `drctl report` writes; also the file names `drill --report-dir` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Markdown,
    Json,
    Junit,
    Prom,
    /// One self-contained page with the timeline drawn as SVG.
    Html,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 5] = [
        Self::Markdown,
        Self::Json,
        Self::Junit,
        Self::Prom,
        Self::Html,
    ];

    /// File name under a report directory: one file per runbook and format, so several
    /// runbooks can share a directory (e.g. node_exporter's textfile directory).
    pub fn file_name(self, runbook: &str) -> String {
        let ext = match self {
            Self::Markdown => "md",
            Self::Json => "json",
            Self::Junit => "junit.xml",
            Self::Prom => "prom",
            Self::Html => "html",
        };
        format!("drctl-{runbook}.{ext}")
    }

    pub fn render(self, r: &RunReport) -> String {
        match self {
            Self::Markdown => crate::sanitize::neutralize(&markdown(r)).into_owned(),
            Self::Json => serde_json::to_string_pretty(r).unwrap_or_default() + "\n",
            Self::Junit => junit(r),
            Self::Prom => prometheus(r),
            Self::Html => crate::html::html(r),
        }
    }
}

fn ms(v: Option<u64>) -> String {
    v.map(|m| format_duration(Duration::from_millis(m)))
        .unwrap_or_else(|| "n/a".into())
}

/// Table cells must not break the table.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// One line on the recovery time: "39ms measured, objective 30s: MET".
pub fn recovery_line(r: &RunReport) -> String {
    let rec = &r.recovery;
    match (rec.objective_ms, rec.met) {
        (Some(o), Some(false)) if !rec.recovered => format!(
            "{} measured, objective {}: NOT MET (the run did not recover: {})",
            ms(rec.measured_ms),
            ms(Some(o)),
            r.outcome
        ),
        (Some(o), Some(met)) => format!(
            "{} measured, objective {}: {}",
            ms(rec.measured_ms),
            ms(Some(o)),
            if met { "MET" } else { "MISSED" }
        ),
        _ => format!("{} measured (no objective set)", ms(rec.measured_ms)),
    }
}

/// The few lines a terminal shows at the end of a drill: verdict, RTO, phases, what is left.
pub fn summary(r: &RunReport) -> String {
    let mut s = String::new();
    let exit = r.exit.map(|e| format!(" (exit {e})")).unwrap_or_default();
    let _ = writeln!(s, "report {}: {}{exit}", r.run_id, r.outcome);
    let _ = writeln!(s, "  recovery time: {}", recovery_line(r));
    let phases: Vec<String> = r
        .phases
        .iter()
        .map(|p| match (p.objective_ms, p.met) {
            (Some(o), Some(met)) => format!(
                "{} {} (objective {}: {})",
                p.name,
                ms(Some(p.duration_ms)),
                ms(Some(o)),
                if met { "MET" } else { "NOT MET" }
            ),
            _ => format!("{} {}", p.name, ms(Some(p.duration_ms))),
        })
        .collect();
    if !phases.is_empty() {
        let _ = writeln!(s, "  phases: {}", phases.join(", "));
    }
    if r.rollback_ms.is_some() {
        let _ = writeln!(s, "  rollback: {}", ms(r.rollback_ms));
    }
    let (ok, bad, unknown) = r.counts();
    let _ = writeln!(s, "  commands: {ok} ok, {bad} failed, {unknown} unknown");
    if r.left_for_human.is_empty() {
        let _ = writeln!(s, "  left for a human: nothing");
    } else {
        let _ = writeln!(s, "  LEFT FOR A HUMAN:");
        for l in &r.left_for_human {
            let _ = writeln!(s, "    - {l}");
        }
    }
    s
}

/// "1073741824 bytes in 9.81s: 104.4 MB/s" from a transfer's output line.
pub fn transfer_rate(stdout: &str) -> Option<&str> {
    let rest = stdout
        .strip_prefix("upload ")
        .or_else(|| stdout.strip_prefix("download "))?;
    rest.split_once(" (sha256")
        .map(|(r, _)| r)
        .filter(|r| r.contains(" MB/s"))
}
