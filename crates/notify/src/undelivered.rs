//! Notifications given up on, as the report names them: the receiver by scheme and host
//! only (a webhook's path often is its token).

/// A notification that was not delivered, for the report (never a secret: the receiver is
/// named by its scheme and host only, since webhook paths carry tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelivered {
    /// When drctl gave up (RFC 3339 UTC).
    pub t: String,
    /// `https://hooks.example.com/…`
    pub receiver: String,
    pub event: String,
    pub error: String,
}

/// `scheme://host[:port]/…`: a receiver's URL without its path (which may hold a token).
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let more = rest.len() > authority.len();
    format!("{scheme}://{host}{}", if more { "/…" } else { "" })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_receiver_is_named_without_its_path_or_credentials() {
        use super::redact_url;
        assert_eq!(
            redact_url("https://hooks.slack.com/services/T0/B0/XXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(redact_url("http://u:p@127.0.0.1:9"), "http://127.0.0.1:9");
    }
}
