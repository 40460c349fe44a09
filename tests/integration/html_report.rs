//! `drctl report --format html` (issue 15): one self-contained page, rendered in a real
//! headless Chromium: the screenshot is not blank and the timeline's bars are in the DOM.

use std::path::Path;
use std::process::Command;

use crate::builder::Drctl;

/// A run on the controller: a done, a gate approved with --yes, b fails with markup in its
/// stderr (which must arrive escaped) and is rolled back, with a.
fn failed_run() -> crate::builder::Outcome {
    let d = Drctl::new();
    let o = d.sandbox().path("out");
    let text = format!(
        "drctl: 1\nkind: migration\nname: web\nsteps:\n  - id: a\n    phase: prepare\n    on: local\n    run: echo a >> {o}\n    rollback: echo undo-a >> {o}\n  - id: gate\n    approve: promote?\n  - id: b\n    phase: promote\n    on: local\n    run: echo '<script>alert(1)</script> & broken' >&2; exit 4\n    rollback: echo undo-b >> {o}\n",
        o = o.display()
    );
    let reports = d.sandbox().path("reports");
    let out = d
        .runbook("rb.yaml", &text)
        .args(["run", "{runbook}", "--yes", "--report-dir"])
        .arg(&reports)
        .run();
    out.status_not(0).stderr_has("rolled back");
    out
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn browser(profile: &Path) -> Command {
    let mut c = Command::new(chromium().unwrap());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,900",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

#[test]
fn the_html_report_is_self_contained_and_escaped() {
    let out = failed_run();
    let html = std::fs::read_to_string(out.sandbox().path("reports/drctl-web.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    for external in ["src=", "href=", "@import", "url(http", "<script"] {
        assert!(!html.contains(external), "{external} in {html}");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; broken"));
    assert!(html.contains("<svg id=\"timeline\""));
    assert!(html.contains("class=\"bar rollback"), "rollback bars drawn");
    assert!(html.contains("class=\"gate\""), "the gate is marked");
    assert!(html.contains("id=\"approvals\""));
    // `drctl report --format html` writes the same page.
    let rep = out.drctl().args(["report", "--format", "html"]).run();
    rep.status(0).stdout_has("<svg id=\"timeline\"");
    assert_eq!(rep.stdout(), html);
}

#[test]
fn the_html_report_renders_in_a_headless_browser() {
    if chromium().is_none() {
        eprintln!("SKIPPED: chromium is not installed (scripts/test installs it)");
        return;
    }
    let out = failed_run();
    let page = out.sandbox().path("reports/drctl-web.html");
    let url = format!("file://{}", page.display());
    let profile = tempfile::tempdir().unwrap();

    // The DOM as the browser built it: the timeline with a bar per command.
    let dom = browser(profile.path())
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(dom.status.success(), "{dom:?}");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<svg id=\"timeline\""), "{dom}");
    // a and b forward, a and b rolled back (a's rollback ran: b failed, then a was undone).
    let bars = dom.matches("class=\"bar ").count();
    assert!(bars >= 3, "{bars} bars in {dom}");
    assert!(dom.contains("class=\"bar forward failed\""), "{dom}");

    // The screenshot: not blank, and the timeline's green and red bars are on it.
    let shot = profile.path().join("shot.png");
    let st = browser(profile.path())
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(st.status.success() && shot.is_file(), "{st:?}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let px = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    let (mut green, mut red) = (0usize, 0usize);
    for p in bytes.chunks(px) {
        let (r, g, b) = (p[0], p[1], p[2]);
        colours.insert((r, g, b));
        // #2da44e and #cf222e, with room for anti-aliasing.
        if (r as i32 - 0x2d).abs() < 12
            && (g as i32 - 0xa4).abs() < 12
            && (b as i32 - 0x4e).abs() < 12
        {
            green += 1;
        }
        if (r as i32 - 0xcf).abs() < 12
            && (g as i32 - 0x22).abs() < 12
            && (b as i32 - 0x2e).abs() < 12
        {
            red += 1;
        }
    }
    assert!(
        colours.len() > 20,
        "blank screenshot: {} colours",
        colours.len()
    );
    assert!(
        green > 100,
        "no green (ok) bar on the screenshot: {green} px"
    );
    assert!(red > 100, "no red (failed) bar on the screenshot: {red} px");
}
