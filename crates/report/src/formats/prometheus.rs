//! The Prometheus text rendering, for node_exporter's textfile collector.

use std::fmt::Write as _;

use crate::after_action::RunReport;

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn secs(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// Prometheus text exposition format, for node_exporter's textfile collector.
pub fn prometheus(r: &RunReport) -> String {
    let base = format!(
        "runbook=\"{}\",kind=\"{}\",mode=\"{}\"",
        label(&r.name),
        label(&r.kind),
        label(&r.mode)
    );
    let mut s = String::new();
    let mut metric = |name: &str, help: &str, samples: Vec<(String, String)>| {
        if samples.is_empty() {
            return;
        }
        let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (extra, v) in samples {
            let _ = writeln!(s, "{name}{{{base}{extra}}} {v}");
        }
    };
    let success = r.exit == Some(0);
    metric(
        "drctl_run_success",
        "1 if the run (or drill) succeeded and met its objectives, else 0.",
        vec![(String::new(), u8::from(success).to_string())],
    );
    if let Some(e) = r.exit {
        metric(
            "drctl_run_exit_code",
            "drctl's exit code for the run.",
            vec![(String::new(), e.to_string())],
        );
    }
    if let Some(m) = r.recovery.measured_ms {
        metric(
            "drctl_recovery_seconds",
            "Measured recovery time: first forward step start to last forward step end.",
            vec![(String::new(), secs(m))],
        );
    }
    if let Some(o) = r.recovery.objective_ms {
        metric(
            "drctl_rto_objective_seconds",
            "The runbook's recovery time objective.",
            vec![(String::new(), secs(o))],
        );
    }
    if let Some(met) = r.recovery.met {
        metric(
            "drctl_rto_met",
            "1 if the measured recovery time met the objective.",
            vec![(String::new(), u8::from(met).to_string())],
        );
    }
    let phases = r
        .phases
        .iter()
        .map(|p| {
            (
                format!(",phase=\"{}\"", label(&p.name)),
                secs(p.duration_ms),
            )
        })
        .collect();
    metric(
        "drctl_phase_seconds",
        "Wall time of each runbook phase.",
        phases,
    );
    let per_phase = |f: &dyn Fn(&crate::after_action::PhaseTime) -> Option<String>| {
        r.phases
            .iter()
            .filter_map(|p| Some((format!(",phase=\"{}\"", label(&p.name)), f(p)?)))
            .collect::<Vec<_>>()
    };
    metric(
        "drctl_phase_objective_seconds",
        "The runbook's objective for each phase (objectives.phases).",
        per_phase(&|p| p.objective_ms.map(secs)),
    );
    metric(
        "drctl_phase_objective_met",
        "1 if the phase met its objective in a run that recovered.",
        per_phase(&|p| p.met.map(|m| u8::from(m).to_string())),
    );
    if let Some(rb) = r.rollback_ms {
        metric(
            "drctl_rollback_seconds",
            "Wall time of the rollback.",
            vec![(String::new(), secs(rb))],
        );
    }
    let (_, failed, unknown) = r.counts();
    metric(
        "drctl_failed_commands",
        "Commands (step and host, forward or rollback) that failed.",
        vec![(String::new(), failed.to_string())],
    );
    metric(
        "drctl_unknown_commands",
        "Commands left in flight with an unknown outcome.",
        vec![(String::new(), unknown.to_string())],
    );
    let when = r.ended_at.as_deref().unwrap_or(&r.started_at);
    if let Ok(t) = when.parse::<jiff::Timestamp>() {
        metric(
            "drctl_last_run_timestamp_seconds",
            "When the run ended (Unix time).",
            vec![(String::new(), t.as_second().to_string())],
        );
    }
    s
}
