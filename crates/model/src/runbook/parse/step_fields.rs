//! A step's sub-values: its settings (retries, timeouts, backoff), `check:` probes,
//! `serial:`, expectations and upload/download transfers.

use crate::runbook::model::*;
use crate::runbook::reader::Reader;
use crate::runbook::source::Spanned;
use crate::runbook::yaml::{Kind, Node};

use super::*;

pub(super) fn settings(
    r: &mut Reader,
    f: &crate::runbook::reader::Fields<'_>,
    path: &str,
) -> StepDefaults {
    let p = |k: &str| format!("{path}.{k}");
    StepDefaults {
        timeout: f
            .get("timeout")
            .and_then(|n| r.duration(n, &p("timeout")))
            .map(|d| d.value),
        on_failure: f
            .get("on_failure")
            .and_then(|n| r.choice(n, &p("on_failure"), ON_FAILURE))
            .and_then(|s| OnFailure::parse(&s.value)),
        retries: f
            .get("retries")
            .and_then(|n| r.int(n, &p("retries"), 0, MAX_RETRIES))
            .map(|n| n as u32),
        retry_delay: f
            .get("retry_delay")
            .and_then(|n| r.duration(n, &p("retry_delay")))
            .map(|d| d.value),
        interval: f.get("interval").and_then(|n| {
            let d = r.duration(n, &p("interval"))?;
            if d.value.is_zero() {
                r.error(
                    n,
                    "zero-interval",
                    format!("`{}` is zero: polling would spin", p("interval")),
                )
                .hint = Some("use at least `100ms`".into());
                return None;
            }
            Some(d.value)
        }),
        idempotent: f
            .get("idempotent")
            .and_then(|n| r.bool(n, &p("idempotent"))),
        serial: f.get("serial").and_then(|n| serial(r, n, &p("serial"))),
        attempt_timeout: f
            .get("attempt_timeout")
            .and_then(|n| r.duration(n, &p("attempt_timeout")))
            .map(|d| d.value),
        max_interval: f
            .get("max_interval")
            .and_then(|n| r.duration(n, &p("max_interval")))
            .map(|d| d.value),
    }
}

/// `check:` as a command string, or `{run: CMD, expect: {...}}`.
pub(super) fn probe(r: &mut Reader, n: &Node, path: &str) -> Option<Probe> {
    if let Kind::Map(_) = &n.kind {
        let f = r.map(n, path, PROBE_KEYS)?;
        let Some(run) = f.get("run") else {
            r.error(n, "missing-key", format!("`{path}` needs `run:`"))
                .hint = Some("e.g. `check: { run: test -f /tmp/trigger }`".into());
            return None;
        };
        let run = r.string(run, &format!("{path}.run"))?;
        let expect = f
            .get("expect")
            .and_then(|e| check(r, e, &format!("{path}.expect")));
        return Some(Probe { run, expect });
    }
    r.string(n, path).map(|run| Probe { run, expect: None })
}

pub(super) fn serial(r: &mut Reader, n: &Node, path: &str) -> Option<Serial> {
    if let Some(pct) = n.as_str().and_then(|s| s.strip_suffix('%')) {
        return match pct.parse::<u8>() {
            Ok(p) if (1..=100).contains(&p) => Some(Serial::Percent(p)),
            _ => {
                r.error(
                    n,
                    "out-of-range",
                    format!("`{path}` percentage must be 1% to 100%"),
                );
                None
            }
        };
    }
    r.int(n, path, 1, 100_000)
        .map(|c| Serial::Count(c as usize))
}

pub(super) fn check(r: &mut Reader, n: &Node, path: &str) -> Option<Check> {
    let f = r.map(n, path, CHECK_KEYS)?;
    let exit = f.get("exit").and_then(|e| match &e.kind {
        Kind::Seq(items) => items
            .iter()
            .map(|i| r.int(i, &format!("{path}.exit"), 0, 255).map(|x| x as i32))
            .collect(),
        _ => r
            .int(e, &format!("{path}.exit"), 0, 255)
            .map(|x| vec![x as i32]),
    });
    let regex = f.get("regex").and_then(|rn| {
        let s = r.string(rn, &format!("{path}.regex"))?;
        match regex::Regex::new(&s.value) {
            Ok(re) => Some(Spanned::new(re, s.span)),
            Err(e) => {
                let msg = e.to_string();
                let last = msg.lines().last().unwrap_or("invalid").trim().to_string();
                r.error(rn, "bad-regex", format!("invalid regex in `{path}.regex`: {last}")).hint =
                    Some("regex syntax is Rust's `regex` crate (like RE2); escape special characters with \\".into());
                None
            }
        }
    });
    Some(Check {
        exit,
        stdout: f
            .get("stdout")
            .and_then(|s| r.string(s, &format!("{path}.stdout")))
            .map(|s| s.value),
        contains: f
            .get("contains")
            .and_then(|s| r.string(s, &format!("{path}.contains")))
            .map(|s| s.value),
        regex,
        span: n.span,
    })
}

pub(super) fn transfer(r: &mut Reader, n: &Node, path: &str) -> Option<Transfer> {
    let f = r.map(n, path, TRANSFER_KEYS)?;
    let mut need = |k: &str| match f.get(k) {
        Some(v) => r.string(v, &format!("{path}.{k}")),
        None => {
            r.error(n, "missing-key", format!("`{path}` needs `{k}:`"));
            None
        }
    };
    let src = need("src");
    let dest = need("dest");
    let mode = f.get("mode").and_then(|m| {
        let s = m.as_str().unwrap_or_default();
        match u32::from_str_radix(s, 8) {
            Ok(v) if v <= 0o7777 && !s.is_empty() => Some(v),
            _ => {
                r.error(
                    m,
                    "bad-mode",
                    format!("`{path}.mode` must be octal permissions like \"0644\""),
                )
                .hint = Some("quote it so YAML keeps the leading zero: mode: \"0644\"".into());
                None
            }
        }
    });
    Some(Transfer {
        src: src?,
        dest: dest?,
        mode,
    })
}
