//! The after-action report as one self-contained HTML page: inline CSS, the timeline drawn
//! as inline SVG, no script, no external fetch (it must open on an air-gapped laptop and
//! survive being attached to an incident ticket). Every text that came from a run
//! (names, messages, stderr) is HTML-escaped.

use std::fmt::Write as _;
use std::time::Duration;

use super::after_action::RunReport;
use super::formats::recovery_line;
use drctl_model::runbook::duration::format_duration;

mod timeline;
use timeline::{GREEN, GREY, RED, timeline};

/// Escape text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn ms(v: Option<u64>) -> String {
    v.map(|m| format_duration(Duration::from_millis(m)))
        .unwrap_or_else(|| "n/a".into())
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff}\
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #d0d7de}\
table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;font-size:13px}\
th{background:#f6f8fa}.ok{color:#1a7f37}.bad{color:#cf222e;font-weight:bold}.unk{color:#9a6700;font-weight:bold}\
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;font-size:12px;overflow:auto;max-height:300px}\
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}\
.verdict{font-size:16px;padding:6px 10px;display:inline-block;border-radius:4px}\
.v-ok{background:#dafbe1}.v-bad{background:#ffebe9}";

/// The HTML after-action report.
pub fn html(r: &RunReport) -> String {
    let mut s = String::new();
    let title = format!("After-action report: {} ({})", r.name, r.mode);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"generator\" content=\"drctl\"><title>{}</title><style>{CSS}</style></head><body>\n",
        escape(&title)
    );
    let _ = writeln!(s, "<h1>{}</h1>", escape(&title));
    if let Some(d) = &r.description {
        let _ = writeln!(s, "<p>{}</p>", escape(d));
    }
    let good = r.exit == Some(0);
    let exit = r.exit.map(|e| format!(" (exit {e})")).unwrap_or_default();
    let _ = writeln!(
        s,
        "<p id=\"verdict\" class=\"verdict {}\"><b>{}</b>{}{}</p>",
        if good { "v-ok" } else { "v-bad" },
        escape(&r.outcome),
        escape(&exit),
        r.message
            .as_deref()
            .map(|m| format!(": {}", escape(m)))
            .unwrap_or_default()
    );
    s.push_str("<h2>Summary</h2><table id=\"summary\">");
    let sev = r.severity.as_deref().unwrap_or("none");
    let ended = r
        .ended_at
        .as_deref()
        .unwrap_or("not ended (stopped or crashed)");
    let (ok, bad, unknown) = r.counts();
    for (k, v) in [
        ("Run", r.run_id.clone()),
        (
            "Runbook",
            format!("{} (kind {}, severity {sev})", r.runbook, r.kind),
        ),
        ("Run by", format!("{} on {}", r.run_by(), r.controller)),
        ("drctl", r.drctl_version().to_string()),
        ("Started", r.started_at.clone()),
        ("Ended", format!("{ended} (took {})", ms(r.duration_ms))),
        (
            "Commands",
            format!("{ok} ok, {bad} failed, {unknown} unknown"),
        ),
        ("Recovery time", recovery_line(r)),
    ] {
        let _ = write!(s, "<tr><th>{k}</th><td>{}</td></tr>", escape(&v));
    }
    if r.rollback_ms.is_some() {
        let _ = write!(
            s,
            "<tr><th>Rollback time</th><td>{}</td></tr>",
            escape(&ms(r.rollback_ms))
        );
    }
    s.push_str("</table>\n");

    let rto = match (r.recovery.objective_ms, r.recovery.met) {
        (Some(_), Some(true)) => "<span class=\"ok\">MET</span>",
        (Some(_), _) => "<span class=\"bad\">NOT MET</span>",
        _ => "no objective set",
    };
    let _ = writeln!(
        s,
        "<h2>Recovery time objective</h2><p id=\"rto\">{rto}: {}</p>",
        escape(&recovery_line(r))
    );
    s.push_str(
        "<table id=\"phases\"><tr><th>Phase</th><th>Steps</th><th>Time</th><th>Verdict</th></tr>",
    );
    for p in &r.phases {
        let failed = r
            .steps
            .iter()
            .any(|st| p.steps.contains(&st.id) && (st.state == "failed" || st.state == "unknown"));
        let verdict = if failed {
            "<span class=\"bad\">failed</span>"
        } else {
            "<span class=\"ok\">done</span>"
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{verdict}</td></tr>",
            escape(&p.name),
            escape(&p.steps.join(", ")),
            escape(&ms(Some(p.duration_ms)))
        );
    }
    s.push_str("</table>\n");

    s.push_str("<h2>Timeline</h2>\n");
    s.push_str(&timeline(r));
    let _ = writeln!(
        s,
        "<p class=\"legend\"><span style=\"background:{GREEN}\"></span>ok<span style=\"background:{RED}\"></span>failed\
         <span style=\"background:{GREY}\"></span>unknown (in flight)<span style=\"background:#fff;border:2px solid #bc4c00\"></span>rollback\
         <span style=\"background:#8250df\"></span>gate approved</p>"
    );

    s.push_str("<h2>Steps</h2><table id=\"steps\"><tr><th>Step</th><th>Phase</th><th>State</th><th>Time</th><th>Note</th></tr>");
    for st in &r.steps {
        let class = match st.state.as_str() {
            "done" | "approved" => "ok",
            "failed" => "bad",
            "unknown" | "partial" => "unk",
            _ => "",
        };
        let _ = write!(
            s,
            "<tr><td><code>{}</code> {}</td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&st.id),
            if st.title != st.id {
                escape(&st.title)
            } else {
                String::new()
            },
            escape(st.phase.as_deref().unwrap_or("")),
            escape(&st.state),
            escape(&ms(st.duration_ms)),
            escape(st.note.as_deref().unwrap_or(""))
        );
    }
    s.push_str("</table>\n");

    s.push_str("<h2>Failures</h2><div id=\"failures\">\n");
    if r.failures.is_empty() {
        s.push_str("<p>None.</p>");
    }
    for f in &r.failures {
        let what = if f.phase == drctl_core::Phase::Rollback {
            "rollback of "
        } else {
            ""
        };
        let exit = f.exit.map(|e| format!(", exit {e}")).unwrap_or_default();
        let _ = write!(
            s,
            "<h3>{what}<code>{}</code> on <code>{}</code>{}</h3>",
            escape(&f.step),
            escape(&f.host),
            escape(&exit)
        );
        if let Some(e) = &f.error {
            let _ = write!(s, "<p>{}</p>", escape(e));
        }
        if !f.stderr_tail.trim().is_empty() {
            let _ = write!(s, "<pre>{}</pre>", escape(f.stderr_tail.trim_end()));
        }
    }
    s.push_str("</div>\n");

    s.push_str("<h2>Rollback</h2>");
    match &r.rollback_reason {
        None => s.push_str("<p>No rollback was started.</p>"),
        Some(reason) => {
            let _ = write!(s, "<p>Started because: {}</p>", escape(reason));
        }
    }

    s.push_str("<h2>Approvals</h2><div id=\"approvals\">");
    if r.approvals.is_empty() {
        s.push_str("<p>No gate was passed.</p>");
    } else {
        s.push_str("<table><tr><th>Gate</th><th>Approved by</th><th>At</th><th>Message</th></tr>");
        for a in &r.approvals {
            let _ = write!(
                s,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&a.step),
                escape(&a.approved_by),
                escape(&a.at),
                escape(a.message.as_deref().unwrap_or(""))
            );
        }
        s.push_str("</table>");
    }
    if !r.answers.is_empty() {
        s.push_str("<table id=\"answers\"><tr><th>Gate</th><th>Answer</th><th>By</th><th>From</th><th>At</th><th>Why</th></tr>");
        for a in &r.answers {
            let by = match &a.sudo_user {
                Some(su) => format!("{} (sudo by {su}, uid {})", a.user, a.uid),
                None => format!("{} (uid {})", a.user, a.uid),
            };
            let from = match &a.tty {
                Some(tty) => format!("{} ({tty})", a.host),
                None => a.host.clone(),
            };
            let verdict = if a.counted {
                a.verdict.clone()
            } else {
                format!("{} (not counted: same person twice)", a.verdict)
            };
            let _ = write!(
                s,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&a.step),
                escape(&verdict),
                escape(&by),
                escape(&from),
                escape(&a.at),
                escape(a.reason.as_deref().unwrap_or(""))
            );
        }
        s.push_str("</table>");
    }
    s.push_str("</div>\n");
    if !r.notify_failures.is_empty() {
        s.push_str("<h2>Notifications not delivered</h2><ul id=\"notify-failures\">");
        for n in &r.notify_failures {
            let _ = write!(s, "<li class=\"bad\">{}</li>", escape(n));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</div>\n");
    crate::controllers::html(&mut s, &r.controllers);
    s.push_str("<h2>Left for a human</h2><ul id=\"left-for-human\">");
    if r.left_for_human.is_empty() {
        s.push_str("<li>Nothing: every step that ran is accounted for.</li>");
    }
    for l in &r.left_for_human {
        let _ = write!(s, "<li class=\"bad\">{}</li>", escape(l));
    }
    s.push_str("</ul>\n</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>a&b</script>\"'"),
            "&lt;script&gt;a&amp;b&lt;/script&gt;&quot;&#39;"
        );
    }
}
