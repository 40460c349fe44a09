//! The report's timeline as inline SVG: a row per host, a bar per command, coloured by
//! result, with gates and the rollback's start as vertical lines.

use std::fmt::Write as _;

use super::{escape, ms};
use crate::after_action::{HostRun, RunReport};

pub(super) const GREEN: &str = "#2da44e";
pub(super) const RED: &str = "#cf222e";
pub(super) const GREY: &str = "#8c959f";

fn colour(h: &HostRun) -> (&'static str, &'static str) {
    match h.ok {
        Some(true) => (GREEN, "ok"),
        Some(false) => (RED, "failed"),
        None => (GREY, "unknown"),
    }
}

/// The timeline: a row per host, a bar per command (forward solid, rollback hatched with
/// an orange outline), colour by result; gates and the rollback's start as vertical lines.
pub(super) fn timeline(r: &RunReport) -> String {
    let mut hosts: Vec<&str> = Vec::new();
    let mut end: i64 = r.duration_ms.unwrap_or(0) as i64;
    for st in &r.steps {
        for h in st.hosts.iter().chain(&st.rollback) {
            if !hosts.contains(&h.host.as_str()) {
                hosts.push(&h.host);
            }
            let e = h.offset_ms.unwrap_or(0) + h.duration_ms.unwrap_or(0) as i64;
            end = end.max(e);
        }
    }
    for a in &r.approvals {
        end = end.max(a.offset_ms.unwrap_or(0));
    }
    let end = end.max(1) as f64;
    let (label_w, plot_w, row_h, top) = (160.0, 900.0, 28.0, 24.0);
    let height = top + row_h * hosts.len().max(1) as f64 + 24.0;
    let width = label_w + plot_w + 20.0;
    let x = |off: i64| label_w + (off.max(0) as f64 / end) * plot_w;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"timeline\">\
         <defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"white\" fill-opacity=\"0.5\"/></pattern></defs>"
    );
    // Axis: the start, the middle, the end.
    for frac in [0.0, 0.5, 1.0] {
        let xx = label_w + frac * plot_w;
        let _ = write!(
            s,
            "<line x1=\"{xx}\" y1=\"{top}\" x2=\"{xx}\" y2=\"{}\" stroke=\"#d0d7de\"/>\
             <text x=\"{xx}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#57606a\">+{}</text>",
            height - 20.0,
            height - 6.0,
            escape(&ms(Some((end * frac) as u64)))
        );
    }
    for (i, host) in hosts.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = write!(
            s,
            "<text x=\"4\" y=\"{}\" font-size=\"12\" fill=\"#1b1f24\">{}</text>",
            y + row_h * 0.65,
            escape(host)
        );
        for st in &r.steps {
            for (rollback, runs) in [(false, &st.hosts), (true, &st.rollback)] {
                for h in runs.iter().filter(|h| h.host == *host) {
                    let off = h.offset_ms.unwrap_or(0);
                    let x0 = x(off);
                    // A command still in flight (unknown) runs to the end of the picture.
                    let dur = h
                        .duration_ms
                        .map(|d| d as i64)
                        .unwrap_or((end as i64 - off).max(0));
                    let w = (x(off + dur) - x0).max(3.0);
                    let (fill, result) = colour(h);
                    let kind = if rollback { "rollback" } else { "forward" };
                    let stroke = if rollback {
                        " stroke=\"#bc4c00\" stroke-width=\"2\""
                    } else {
                        ""
                    };
                    let what = if rollback {
                        format!("rollback {}", st.id)
                    } else {
                        st.id.clone()
                    };
                    let _ = write!(
                        s,
                        "<rect class=\"bar {kind} {result}\" data-step=\"{}\" data-host=\"{}\" x=\"{x0:.1}\" y=\"{:.1}\" \
                         width=\"{w:.1}\" height=\"{:.1}\" fill=\"{fill}\"{stroke}><title>{} on {}: {result}, +{} for {}</title></rect>",
                        escape(&st.id),
                        escape(host),
                        y + 4.0,
                        row_h - 8.0,
                        escape(&what),
                        escape(host),
                        escape(&ms(Some(off.max(0) as u64))),
                        escape(&ms(h.duration_ms))
                    );
                    if rollback {
                        let _ = write!(
                            s,
                            "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"url(#hatch)\"/>",
                            y + 4.0,
                            row_h - 8.0
                        );
                    }
                }
            }
        }
    }
    let bottom = top + row_h * hosts.len().max(1) as f64;
    for a in &r.approvals {
        let xx = x(a.offset_ms.unwrap_or(0));
        let _ = write!(
            s,
            "<line class=\"gate\" x1=\"{xx:.1}\" y1=\"{}\" x2=\"{xx:.1}\" y2=\"{bottom}\" stroke=\"#8250df\" \
             stroke-width=\"2\" stroke-dasharray=\"4 3\"><title>gate {} approved by {}</title></line>\
             <text x=\"{xx:.1}\" y=\"{}\" font-size=\"11\" fill=\"#8250df\">&#9873; {}</text>",
            top - 8.0,
            escape(&a.step),
            escape(&a.approved_by),
            top - 10.0,
            escape(&a.step)
        );
    }
    let rb_start = r
        .steps
        .iter()
        .flat_map(|s| &s.rollback)
        .filter_map(|h| h.offset_ms)
        .min();
    if let Some(off) = rb_start {
        let xx = x(off);
        let _ = write!(
            s,
            "<line class=\"rollback-start\" x1=\"{xx:.1}\" y1=\"{}\" x2=\"{xx:.1}\" y2=\"{bottom}\" stroke=\"#bc4c00\" \
             stroke-width=\"2\"><title>rollback started</title></line>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"11\" fill=\"#bc4c00\">rollback</text>",
            top - 8.0,
            xx + 3.0,
            top - 10.0
        );
    }
    s.push_str("</svg>");
    s
}
