//! `notify:` — the receivers a run's events are posted to.

use std::time::Duration;

use crate::runbook::model::*;
use crate::runbook::reader::Reader;
use crate::runbook::yaml::{Kind, Node};

/// `notify:` (runbook or inventory): a list of receivers.
pub(crate) fn notify(r: &mut Reader, n: &Node) -> Vec<Notify> {
    let Kind::Seq(items) = &n.kind else {
        r.error(
            n,
            "wrong-type",
            format!("`notify` must be a list, found {}", n.describe()),
        )
        .hint = Some("write each receiver as `- url: https://...`".into());
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let Some(f) = r.map(item, "notify", NOTIFY_KEYS) else {
            continue;
        };
        let Some(url) = f.get("url").and_then(|n| r.string(n, "notify.url")) else {
            if !f.has("url") {
                r.error(item, "missing-key", "a `notify` receiver needs `url:`")
                    .hint = Some("e.g. `url: https://hooks.example.com/T0/B0/XXXX`".into());
            }
            continue;
        };
        let scheme_ok = url.value.starts_with("https://") || url.value.starts_with("http://");
        if !scheme_ok {
            let node = f.get("url").unwrap_or(item);
            r.error(
                node,
                "bad-url",
                format!(
                    "`notify.url` must be an http:// or https:// URL, found `{}`",
                    url.value
                ),
            )
            .hint = Some("https is verified against the system's trusted roots".into());
            continue;
        }
        let format = f
            .get("format")
            .and_then(|n| r.choice(n, "notify.format", NOTIFY_FORMATS))
            .map(|s| s.value)
            .unwrap_or_else(|| "json".into());
        let events = match f.get("events") {
            None => NOTIFY_EVENTS.iter().map(|s| s.to_string()).collect(),
            Some(n) => {
                let mut ev = Vec::new();
                let list: Vec<&Node> = match &n.kind {
                    Kind::Seq(items) => items.iter().collect(),
                    _ => vec![n],
                };
                for e in list {
                    if let Some(c) = r.choice(e, "notify.events", NOTIFY_EVENTS) {
                        ev.push(c.value);
                    }
                }
                ev
            }
        };
        let every = f
            .get("every")
            .and_then(|n| r.duration(n, "notify.every"))
            .map(|d| d.value)
            .unwrap_or(Duration::from_secs(15 * 60));
        if let Some(n) = f.get("every").filter(|_| every.is_zero()) {
            r.error(n, "bad-duration", "`notify.every` must be more than zero");
        }
        let mut headers = Vec::new();
        if let Some(h) = f.get("headers") {
            if let Kind::Map(kv) = &h.kind {
                for (k, v) in kv {
                    if let (Some(k), Some(v)) = (k.as_str(), r.string(v, "notify.headers")) {
                        headers.push((k.to_string(), v));
                    }
                }
            } else {
                r.type_error(h, "notify.headers", "a mapping");
            }
        }
        out.push(Notify {
            url,
            format,
            events,
            every,
            headers,
        });
    }
    out
}

#[cfg(test)]
mod notify_tests {
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::runbook::parse::parse_runbook;
    use crate::runbook::source::SourceFile;

    fn parse(notify: &str) -> (Option<Runbook>, Vec<Diagnostic>) {
        let text = format!(
            "drctl: 1\nkind: failover\nname: t\nnotify:\n{notify}steps:\n  - id: a\n    on: local\n    run: 'true'\n"
        );
        parse_runbook(&SourceFile::new("rb.yaml", text))
    }

    #[test]
    fn notify_receivers_are_parsed_with_defaults() {
        let (rb, d) = parse(
            "  - url: https://hooks.example.com/x\n    format: slack\n    events: [start, step-failed, status]\n    every: 1m\n    headers:\n      Authorization: 'Bearer {{ token }}'\n  - url: http://127.0.0.1:9/\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let n = rb.unwrap().notify;
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].format, "slack");
        assert_eq!(n[0].events, ["start", "step-failed", "status"]);
        assert_eq!(n[0].every, Duration::from_secs(60));
        assert_eq!(n[0].headers[0].0, "Authorization");
        assert_eq!(n[1].format, "json");
        assert_eq!(n[1].events.len(), NOTIFY_EVENTS.len());
        assert_eq!(n[1].every, Duration::from_secs(900));
    }

    #[test]
    fn bad_notify_entries_are_errors() {
        let (_, d) = parse(
            "  - url: ftp://x\n  - url: https://x\n    format: xml\n    events: [started]\n  - format: json\n  - url: https://y\n    retry: 3\n",
        );
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        for c in ["bad-url", "missing-key", "unknown-key"] {
            assert!(codes.contains(&c), "{c} not in {codes:?}");
        }
        assert!(
            d.iter().filter(|d| d.message.contains("notify.")).count() >= 2,
            "{d:?}"
        );
    }
}
