//! Renderings of an after-action report: Markdown for people, JSON for tools, JUnit XML for
//! CI dashboards (one test case per step and host), Prometheus text format for the
//! node_exporter textfile collector. All are built from the same [`RunReport`].

use std::fmt::Write as _;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::after_action::{HostRun, RunReport};
use drctl_core::Phase;
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

fn timeline_row(s: &mut String, step: &str, phase: Phase, h: &HostRun) {
    let result = match h.ok {
        Some(true) => match transfer_rate(&h.stdout_tail) {
            Some(r) => format!("ok ({r})"),
            None => "ok".to_string(),
        },
        Some(false) => format!(
            "**FAILED**{}",
            h.exit.map(|e| format!(" (exit {e})")).unwrap_or_default()
        ),
        None => "**unknown** (in flight)".into(),
    };
    let what = if phase == Phase::Rollback {
        format!("rollback `{step}`")
    } else {
        format!("`{step}`")
    };
    let _ = writeln!(
        s,
        "| +{} | {what} | {} | {result} | {} | {} |",
        ms(h.offset_ms.map(|o| o.max(0) as u64)),
        cell(&h.host),
        h.attempts,
        ms(h.duration_ms)
    );
}

/// The Markdown after-action report.
pub fn markdown(r: &RunReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# After-action report: {} ({})\n", r.name, r.mode);
    if let Some(d) = &r.description {
        let _ = writeln!(s, "{d}\n");
    }
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| Run | `{}` |", r.run_id);
    let sev = r.severity.as_deref().unwrap_or("none");
    let _ = writeln!(
        s,
        "| Runbook | `{}` (kind {}, severity {sev}) |",
        r.runbook, r.kind
    );
    let _ = writeln!(s, "| Run by | {} on {} |", r.run_by(), r.controller);
    let _ = writeln!(s, "| drctl | {} |", r.drctl_version());
    let _ = writeln!(s, "| Started | {} |", r.started_at);
    let ended = r
        .ended_at
        .as_deref()
        .unwrap_or("not ended (stopped or crashed)");
    let _ = writeln!(s, "| Ended | {ended} (took {}) |", ms(r.duration_ms));
    let exit = r.exit.map(|e| format!(" (exit {e})")).unwrap_or_default();
    let msg = r.message.as_deref().map(cell).unwrap_or_default();
    let _ = writeln!(s, "| Outcome | **{}**{exit}: {msg} |", r.outcome);
    let _ = writeln!(s, "| Recovery time | {} |", recovery_line(r));
    if r.rollback_ms.is_some() {
        let _ = writeln!(s, "| Rollback time | {} |", ms(r.rollback_ms));
    }
    let _ = writeln!(
        s,
        "\n## Phases\n\n| Phase | Steps | Time | Objective |\n|---|---|---|---|"
    );
    for p in &r.phases {
        let objective = match (p.objective_ms, p.met) {
            (Some(o), Some(met)) => {
                format!("{}: {}", ms(Some(o)), if met { "met" } else { "NOT MET" })
            }
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {objective} |",
            cell(&p.name),
            p.steps.join(", "),
            ms(Some(p.duration_ms))
        );
    }
    let _ = writeln!(
        s,
        "\n## Steps\n\n| Step | Phase | State | Time | Note |\n|---|---|---|---|---|"
    );
    for st in &r.steps {
        let _ = writeln!(
            s,
            "| `{}` {} | {} | {} | {} | {} |",
            st.id,
            if st.title != st.id {
                cell(&st.title)
            } else {
                String::new()
            },
            st.phase.as_deref().map(cell).unwrap_or_default(),
            st.state,
            ms(st.duration_ms),
            st.note.as_deref().map(cell).unwrap_or_default()
        );
    }
    let _ = writeln!(
        s,
        "\n## Timeline\n\n| At | Command | Host | Result | Attempts | Took |\n|---|---|---|---|---|---|"
    );
    let mut rows: Vec<(i64, &str, Phase, &HostRun)> = Vec::new();
    for st in &r.steps {
        rows.extend(
            st.hosts
                .iter()
                .map(|h| (h.offset_ms.unwrap_or(0), st.id.as_str(), Phase::Forward, h)),
        );
        rows.extend(
            st.rollback
                .iter()
                .map(|h| (h.offset_ms.unwrap_or(0), st.id.as_str(), Phase::Rollback, h)),
        );
    }
    rows.sort_by_key(|r| (r.0, r.2));
    for (_, step, phase, h) in rows {
        timeline_row(&mut s, step, phase, h);
    }
    let _ = writeln!(s, "\n## Failures\n");
    if r.failures.is_empty() {
        let _ = writeln!(s, "None.");
    }
    for f in &r.failures {
        let what = if f.phase == Phase::Rollback {
            "rollback of "
        } else {
            ""
        };
        let exit = f.exit.map(|e| format!(", exit {e}")).unwrap_or_default();
        let _ = writeln!(s, "### {what}`{}` on `{}`{exit}\n", f.step, f.host);
        if let Some(e) = &f.error {
            let _ = writeln!(s, "{e}\n");
        }
        if !f.stderr_tail.trim().is_empty() {
            let _ = writeln!(s, "```\n{}\n```\n", f.stderr_tail.trim_end());
        }
    }
    let _ = writeln!(s, "\n## Rollback\n");
    match &r.rollback_reason {
        None => {
            let _ = writeln!(s, "No rollback was started.");
        }
        Some(reason) => {
            let _ = writeln!(s, "Started because: {reason}\n");
            for st in r.steps.iter().rev() {
                for h in &st.rollback {
                    let res = match h.ok {
                        Some(true) => "undone",
                        Some(false) => "**rollback FAILED**",
                        None => "**unknown** (in flight)",
                    };
                    let _ = writeln!(
                        s,
                        "- `{}` on `{}`: {res} ({})",
                        st.id,
                        h.host,
                        ms(h.duration_ms)
                    );
                }
            }
        }
    }
    if !r.approvals.is_empty() || !r.answers.is_empty() {
        let _ = writeln!(s, "\n## Approvals\n");
        for a in &r.approvals {
            let _ = writeln!(
                s,
                "- gate `{}` passed at {}: approved by {}",
                a.step, a.at, a.approved_by
            );
        }
        for a in &r.answers {
            let from = match &a.tty {
                Some(tty) => format!("{} ({tty})", a.host),
                None => a.host.clone(),
            };
            let sudo = match &a.sudo_user {
                Some(su) => format!(" (sudo by {su})"),
                None => String::new(),
            };
            let why = a
                .reason
                .as_deref()
                .map_or(String::new(), |r| format!(": {r}"));
            let note = if a.counted {
                ""
            } else {
                " (not counted: same person twice)"
            };
            let _ = writeln!(
                s,
                "- `drctl {}` of `{}` by {}{sudo} (uid {}) on {from} at {}{why}{note}",
                a.verdict, a.step, a.user, a.uid, a.at
            );
        }
    }
    if !r.notify_failures.is_empty() {
        let _ = writeln!(s, "\n## Notifications not delivered\n");
        for n in &r.notify_failures {
            let _ = writeln!(s, "- {n}");
        }
    }
    let _ = writeln!(s, "\n## Left for a human\n");
    if r.left_for_human.is_empty() {
        let _ = writeln!(s, "Nothing: every step that ran is accounted for.");
    }
    for l in &r.left_for_human {
        let _ = writeln!(s, "- {l}");
    }
    s
}

fn case(name: String, class: &str, h: &HostRun) -> TestCase {
    let status = match h.ok {
        Some(true) => TestCaseStatus::success(),
        Some(false) => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(h.error.clone().unwrap_or_else(|| match h.exit {
                Some(e) => format!("exit {e}"),
                None => "failed".into(),
            }));
            st.set_description(h.stderr_tail.clone());
            st
        }
        None => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message("started, never finished: outcome unknown");
            st
        }
    };
    let mut c = TestCase::new(name, status);
    c.set_classname(class.to_string());
    if let Some(d) = h.duration_ms {
        c.set_time(Duration::from_millis(d));
    }
    if !h.stdout_tail.is_empty() {
        c.set_system_out_lossy(h.stdout_tail.as_bytes());
    }
    if !h.stderr_tail.is_empty() {
        c.set_system_err_lossy(h.stderr_tail.as_bytes());
    }
    c
}

/// JUnit XML: one suite per run; one test case per step and host, one per rollback and
/// host, skipped steps as skipped cases, and a case for the recovery time objective.
pub fn junit(r: &RunReport) -> String {
    let mut report = quick_junit::Report::new("drctl");
    let mut suite = TestSuite::new(format!("{} ({})", r.name, r.mode));
    for (k, v) in [
        ("run_id", r.run_id.as_str()),
        ("kind", &r.kind),
        ("severity", r.severity.as_deref().unwrap_or("")),
        ("user", &r.user),
        ("sudo_user", r.sudo_user.as_deref().unwrap_or("")),
        ("drctl_version", r.drctl_version()),
        ("controller", &r.controller),
        ("started_at", &r.started_at),
        ("outcome", &r.outcome),
    ] {
        suite.add_property(Property::new(k, v));
    }
    if let Some(d) = r.duration_ms {
        suite.set_time(Duration::from_millis(d));
    }
    for st in &r.steps {
        let class = format!("{}.{}", r.name, st.phase.as_deref().unwrap_or("steps"));
        for h in &st.hosts {
            suite.add_test_case(case(format!("{} @ {}", st.id, h.host), &class, h));
        }
        for h in &st.rollback {
            suite.add_test_case(case(format!("rollback {} @ {}", st.id, h.host), &class, h));
        }
        if st.hosts.is_empty() && st.state == "skipped" {
            let mut s = TestCaseStatus::skipped();
            s.set_message(st.note.clone().unwrap_or_default());
            let mut c = TestCase::new(st.id.clone(), s);
            c.set_classname(class);
            suite.add_test_case(c);
        }
    }
    if r.recovery.objective_ms.is_some() {
        let status = match r.recovery.met {
            Some(true) => TestCaseStatus::success(),
            _ => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(recovery_line(r));
                s
            }
        };
        let mut c = TestCase::new("recovery time objective", status);
        c.set_classname(format!("{}.objectives", r.name));
        suite.add_test_case(c);
    }
    for p in &r.phases {
        let (Some(o), Some(met)) = (p.objective_ms, p.met) else {
            continue;
        };
        let status = if met {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!(
                "phase {} took {}, objective {}",
                p.name,
                ms(Some(p.duration_ms)),
                ms(Some(o))
            ));
            s
        };
        let mut c = TestCase::new(format!("phase objective {}", p.name), status);
        c.set_classname(format!("{}.objectives", r.name));
        suite.add_test_case(c);
    }
    report.add_test_suite(suite);
    report.to_string().unwrap_or_default()
}

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
