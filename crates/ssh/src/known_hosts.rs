//! known_hosts read the way OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), since
//! libssh2's knownhost API does not: it has no markers (an `@revoked` or `@cert-authority`
//! line is read as a host named `@revoked`, so a revoked key is simply "not found" and
//! `accept-new` would record it), no wildcards or negations in host patterns, and it also
//! matches a plain `host` entry for a non-standard port. Here:
//!
//! - `@revoked PATTERNS KEY`: a host whose patterns match and which presents KEY is refused,
//!   whatever other line says; never accepted-new.
//! - `@cert-authority PATTERNS KEY`: a CA trusted for those hosts. libssh2 does not negotiate
//!   host certificates, so it can validate no host through it; its key is never taken for a
//!   host's own key, and a host under a CA is not accepted-new (see [`Verdict::CaOnly`]).
//! - host patterns: comma-separated, `*` and `?` wildcards, `!` negation, case-insensitive;
//!   `[host]:port` for a port other than 22; hashed `|1|base64(salt)|base64(hmac-sha1)`.
//! - a line that cannot be read is skipped (OpenSSH does the same), with a warning.

use base64::Engine as _;
use hmac::{KeyInit, Mac};

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    None,
    CertAuthority,
    Revoked,
}

#[derive(Debug, Clone)]
enum Hosts {
    Patterns(Vec<String>),
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub marker: Marker,
    hosts: Hosts,
    /// The decoded key blob.
    pub key: Vec<u8>,
    /// 1-based line number in the file.
    pub line: usize,
}

/// What known_hosts says about a host presenting a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Listed with this key.
    Match,
    /// The key is revoked for this host (line number).
    Revoked(usize),
    /// The host is listed with other key(s) only (line of the first).
    Changed(usize),
    /// No key for the host, but a certificate authority is trusted for it (line): the
    /// operator expects certificates, which drctl cannot check.
    CaOnly(usize),
    NotFound,
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Parse a known_hosts file's text; lines that cannot be read are returned as warnings.
pub fn parse(text: &str) -> (Vec<Entry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line) {
            Some((marker, hosts, key)) => entries.push(Entry {
                marker,
                hosts,
                key,
                line: i + 1,
            }),
            None => warnings.push(format!("line {} cannot be read; skipped", i + 1)),
        }
    }
    (entries, warnings)
}

fn parse_line(line: &str) -> Option<(Marker, Hosts, Vec<u8>)> {
    let mut f = line.split_whitespace();
    let mut first = f.next()?;
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        m if m.starts_with('@') => return None,
        _ => Marker::None,
    };
    if marker != Marker::None {
        first = f.next()?;
    }
    let _key_type = f.next()?;
    let key = B64.decode(f.next()?).ok()?;
    let hosts = match first.strip_prefix("|1|") {
        Some(rest) => {
            let (salt, hash) = rest.split_once('|')?;
            Hosts::Hashed {
                salt: B64.decode(salt).ok()?,
                hash: B64.decode(hash).ok()?,
            }
        }
        None => Hosts::Patterns(first.split(',').map(|p| p.to_ascii_lowercase()).collect()),
    };
    Some((marker, hosts, key))
}

/// `*` and `?` wildcard match (OpenSSH's match_pattern).
fn wildcard(s: &[u8], p: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| wildcard(&s[i..], rest)),
        Some((b'?', rest)) => !s.is_empty() && wildcard(&s[1..], rest),
        Some((c, rest)) => s.first() == Some(c) && wildcard(&s[1..], rest),
    }
}

impl Entry {
    /// Does this line apply to `name` (`host` or `[host]:port`, as OpenSSH writes it)?
    pub fn matches(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        match &self.hosts {
            Hosts::Hashed { salt, hash } => {
                let Ok(mut mac) = HmacSha1::new_from_slice(salt) else {
                    return false;
                };
                mac.update(name.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
            Hosts::Patterns(pats) => {
                let mut hit = false;
                for p in pats {
                    if let Some(neg) = p.strip_prefix('!') {
                        if wildcard(name.as_bytes(), neg.as_bytes()) {
                            return false;
                        }
                    } else if wildcard(name.as_bytes(), p.as_bytes()) {
                        hit = true;
                    }
                }
                hit
            }
        }
    }
}

/// The name a host has in known_hosts.
pub fn host_name(addr: &str, port: u16) -> String {
    if port == 22 {
        addr.to_string()
    } else {
        format!("[{addr}]:{port}")
    }
}

/// Judge a host's key against the file's entries: a revocation wins over everything.
pub fn check(entries: &[Entry], name: &str, key: &[u8]) -> Verdict {
    let applying: Vec<&Entry> = entries.iter().filter(|e| e.matches(name)).collect();
    if let Some(e) = applying
        .iter()
        .find(|e| e.marker == Marker::Revoked && e.key == key)
    {
        return Verdict::Revoked(e.line);
    }
    let plain: Vec<&&Entry> = applying
        .iter()
        .filter(|e| e.marker == Marker::None)
        .collect();
    if plain.iter().any(|e| e.key == key) {
        return Verdict::Match;
    }
    if let Some(e) = plain.first() {
        return Verdict::Changed(e.line);
    }
    if let Some(e) = applying.iter().find(|e| e.marker == Marker::CertAuthority) {
        return Verdict::CaOnly(e.line);
    }
    Verdict::NotFound
}

/// A hashed entry for `name` (as `HashKnownHosts yes` writes them), with a random salt.
pub fn hashed_name(name: &str) -> std::io::Result<String> {
    use std::io::Read;
    let mut salt = [0u8; 20];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut salt)?;
    let mut mac = HmacSha1::new_from_slice(&salt).map_err(std::io::Error::other)?;
    mac.update(name.as_bytes());
    Ok(format!(
        "|1|{}|{}",
        B64.encode(salt),
        B64.encode(mac.finalize().into_bytes())
    ))
}

/// Is any entry hashed (the file is kept hashed, so new lines are too)?
pub fn any_hashed(entries: &[Entry]) -> bool {
    entries
        .iter()
        .any(|e| matches!(e.hosts, Hosts::Hashed { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const K2: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIHf2ZxkvGa1mQ8gSOM9Tb4t/UhbxGgKhUGxPqXfMOqMp";

    fn key(k: &str) -> Vec<u8> {
        B64.decode(k).unwrap()
    }

    #[test]
    fn patterns_wildcards_negation_and_ports() {
        let text = format!(
            "*.example.com,!bad.example.com ssh-ed25519 {K1}\n[10.0.0.?]:2222 ssh-ed25519 {K2}\n"
        );
        let (e, w) = parse(&text);
        assert!(w.is_empty());
        assert_eq!(check(&e, "db.EXAMPLE.com", &key(K1)), Verdict::Match);
        assert_eq!(check(&e, "bad.example.com", &key(K1)), Verdict::NotFound);
        assert_eq!(check(&e, "[10.0.0.7]:2222", &key(K2)), Verdict::Match);
        assert_eq!(check(&e, "10.0.0.7", &key(K2)), Verdict::NotFound);
        assert_eq!(check(&e, "[10.0.0.7]:2222", &key(K1)), Verdict::Changed(2));
    }

    #[test]
    fn markers_and_bad_lines() {
        let text = format!(
            "@revoked * ssh-ed25519 {K1}\nh1 ssh-ed25519 {K1}\n@cert-authority *.corp ssh-ed25519 {K2}\n@bogus h2 ssh-ed25519 {K2}\nh3 ssh-ed25519 !!notbase64\n"
        );
        let (e, w) = parse(&text);
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!(check(&e, "h1", &key(K1)), Verdict::Revoked(1));
        assert_eq!(check(&e, "a.corp", &key(K2)), Verdict::CaOnly(3));
        assert_eq!(check(&e, "h2", &key(K2)), Verdict::NotFound);
    }

    #[test]
    fn hashed_names_match_what_we_write() {
        let name = "[127.0.0.1]:2222";
        let line = format!("{} ssh-ed25519 {K1}\n", hashed_name(name).unwrap());
        let (e, _) = parse(&line);
        assert!(any_hashed(&e));
        assert_eq!(check(&e, name, &key(K1)), Verdict::Match);
        assert_eq!(check(&e, "[127.0.0.1]:2223", &key(K1)), Verdict::NotFound);
    }
}
