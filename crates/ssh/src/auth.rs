//! Who the host is and who we are: the host key against known_hosts (strict, or
//! `accept-new`), then ssh-agent and identity files.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use ssh2::{HashType, Session};

use super::SshConnection;
use super::known_hosts::{self, Verdict};
use drctl_transport::{Host, HostKeyPolicy, TransportError};

fn sha256_fingerprint(sess: &Session) -> String {
    sess.host_key_hash(HashType::Sha256)
        .map(|h| {
            format!(
                "SHA256:{}",
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(h)
            )
        })
        .unwrap_or_else(|| "unknown fingerprint".into())
}

fn default_identities() -> Vec<PathBuf> {
    let Some(home) = std::env::var_os("HOME") else {
        return vec![];
    };
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|f| Path::new(&home).join(".ssh").join(f))
        .collect()
}

impl SshConnection {
    /// The host's key against its known_hosts, read as OpenSSH reads it (see
    /// `known_hosts`): a revoked key is refused even under `accept-new`.
    pub(super) fn check_host_key(host: &Host, sess: &Session) -> Result<(), TransportError> {
        let (key, kind) = sess.host_key().ok_or_else(|| TransportError::Lost {
            host: host.name.clone(),
            msg: "no host key".into(),
        })?;
        let known_hosts = host.known_hosts.display().to_string();
        let text = match std::fs::read_to_string(&host.known_hosts) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(TransportError::Connect {
                    host: host.name.clone(),
                    addr: host.addr.clone(),
                    msg: format!("cannot read {known_hosts}: {e}"),
                });
            }
        };
        let (entries, warnings) = known_hosts::parse(&text);
        for w in warnings {
            tracing::warn!(host = %host.name, file = %known_hosts, "{w}");
        }
        let fingerprint = sha256_fingerprint(sess);
        let name = known_hosts::host_name(&host.addr, host.port);
        match known_hosts::check(&entries, &name, key) {
            Verdict::Match => Ok(()),
            Verdict::Revoked(line) => Err(TransportError::RevokedHostKey {
                host: host.name.clone(),
                known_hosts,
                line,
                fingerprint,
            }),
            Verdict::Changed(_) => Err(TransportError::ChangedHostKey {
                host: host.name.clone(),
                known_hosts,
                fingerprint,
            }),
            Verdict::CaOnly(line) => Err(TransportError::CertAuthorityOnly {
                host: host.name.clone(),
                known_hosts,
                line,
                fingerprint,
            }),
            Verdict::NotFound if host.host_key_policy == HostKeyPolicy::AcceptNew => {
                let shown = if known_hosts::any_hashed(&entries) {
                    known_hosts::hashed_name(&name).unwrap_or(name)
                } else {
                    name
                };
                let line = format!(
                    "{shown} {} {}\n",
                    kind_name(kind),
                    base64::engine::general_purpose::STANDARD.encode(key)
                );
                let cannot = |e: std::io::Error| TransportError::Connect {
                    host: host.name.clone(),
                    addr: host.addr.clone(),
                    msg: format!("cannot record new host key in {known_hosts}: {e}"),
                };
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&host.known_hosts)
                    .map_err(cannot)?;
                // A file that does not end in a newline would glue the new line to its last.
                let sep = if text.is_empty() || text.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                f.write_all(format!("{sep}{line}").as_bytes())
                    .map_err(cannot)?;
                tracing::warn!(host = %host.name, %fingerprint, "accepted new host key");
                Ok(())
            }
            Verdict::NotFound => Err(TransportError::UnknownHostKey {
                host: host.name.clone(),
                known_hosts,
                fingerprint,
            }),
        }
    }

    pub(super) fn authenticate(host: &Host, sess: &Session) -> Result<(), TransportError> {
        let mut tried = Vec::new();
        if std::env::var_os("SSH_AUTH_SOCK").is_some() && host.identity.is_none() {
            match sess.userauth_agent(&host.user) {
                Ok(()) if sess.authenticated() => return Ok(()),
                Ok(()) => tried.push("ssh-agent".to_string()),
                Err(e) => tried.push(format!("ssh-agent ({})", e.message())),
            }
        }
        let files = match &host.identity {
            Some(p) => vec![p.clone()],
            None => default_identities()
                .into_iter()
                .filter(|p| p.exists())
                .collect(),
        };
        for f in files {
            match sess.userauth_pubkey_file(&host.user, None, &f, None) {
                Ok(()) if sess.authenticated() => return Ok(()),
                Ok(()) => tried.push(f.display().to_string()),
                Err(e) => tried.push(format!("{} ({})", f.display(), e.message())),
            }
        }
        let msg = if tried.is_empty() {
            "no ssh-agent and no identity file".to_string()
        } else {
            format!("tried {}", tried.join(", "))
        };
        Err(TransportError::Auth {
            host: host.name.clone(),
            user: host.user.clone(),
            msg,
        })
    }
}

fn kind_name(k: ssh2::HostKeyType) -> &'static str {
    use ssh2::HostKeyType::*;
    match k {
        Rsa => "ssh-rsa",
        Dss => "ssh-dss",
        Ecdsa256 => "ecdsa-sha2-nistp256",
        Ecdsa384 => "ecdsa-sha2-nistp384",
        Ecdsa521 => "ecdsa-sha2-nistp521",
        _ => "ssh-ed25519",
    }
}
