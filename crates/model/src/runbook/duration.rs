//! Durations as runbooks write them: `500ms`, `30s`, `5m`, `1h`, `1m30s`.

use std::time::Duration;

/// Parse a duration; the error says what is wrong in words for a hint.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "`{s}` has no unit; write e.g. `{s}s` (units: ms, s, m, h)"
        ));
    }
    let mut total: u128 = 0;
    let mut rest = s;
    let mut last_rank = usize::MAX;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!(
                "`{s}` is not a duration; write e.g. `30s`, `5m` or `1m30s`"
            ));
        }
        let n: u128 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{s}` is too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let (ms, rank) = match unit {
            "h" => (3_600_000, 0),
            "m" => (60_000, 1),
            "s" => (1_000, 2),
            "ms" => (1, 3),
            "" => return Err(format!("`{s}` lacks a unit after {n}; units: ms, s, m, h")),
            u => return Err(format!("unknown unit `{u}` in `{s}`; units: ms, s, m, h")),
        };
        if rank <= last_rank && last_rank != usize::MAX {
            return Err(format!(
                "`{s}`: units must go from largest to smallest, each once"
            ));
        }
        last_rank = rank;
        total = total.saturating_add(n.saturating_mul(ms));
    }
    if total > 7 * 24 * 3_600_000 {
        return Err(format!("`{s}` is longer than a week"));
    }
    Ok(Duration::from_millis(total as u64))
}

/// Format a duration compactly for humans: `1m30s`, `250ms`, `2.1s`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1_000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        if ms.is_multiple_of(1000) {
            format!("{}s", ms / 1000)
        } else {
            format!("{:.1}s", ms as f64 / 1000.0)
        }
    } else {
        let s = ms / 1000;
        let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
        let mut out = String::new();
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if m > 0 {
            out.push_str(&format!("{m}m"));
        }
        if sec > 0 {
            out.push_str(&format!("{sec}s"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
    }

    #[test]
    fn rejects_bad() {
        for bad in [
            "30",
            "5x",
            "s",
            "30s5m",
            "1m1m",
            "-5s",
            "",
            "99999999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    }
}
