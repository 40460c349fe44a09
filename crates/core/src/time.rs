//! Timestamps as journals carry them (RFC 3339 UTC, milliseconds) and digests.

/// Milliseconds since the epoch of an RFC 3339 timestamp from a journal.
pub fn ts_ms(t: &str) -> Option<i64> {
    t.parse::<jiff::Timestamp>()
        .ok()
        .map(|x| x.as_millisecond())
}

/// Now as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Millisecond)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Timestamp for a new record.
pub fn t() -> String {
    now_rfc3339()
}

/// sha256 of a byte slice, lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}
