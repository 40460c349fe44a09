//! Who the host is and who we are: the host key against known_hosts (strict, or
//! `accept-new`), then ssh-agent and identity files.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use ssh2::{CheckResult, HashType, KnownHostFileKind, Session};

use super::SshConnection;
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
    pub(super) fn check_host_key(host: &Host, sess: &Session) -> Result<(), TransportError> {
        let (key, kind) = sess.host_key().ok_or_else(|| TransportError::Lost {
            host: host.name.clone(),
            msg: "no host key".into(),
        })?;
        let mut kh = sess.known_hosts().map_err(|e| TransportError::Lost {
            host: host.name.clone(),
            msg: e.to_string(),
        })?;
        if host.known_hosts.exists() {
            kh.read_file(&host.known_hosts, KnownHostFileKind::OpenSSH)
                .map_err(|e| TransportError::Connect {
                    host: host.name.clone(),
                    addr: host.addr.clone(),
                    msg: format!(
                        "cannot read {}: {}",
                        host.known_hosts.display(),
                        e.message()
                    ),
                })?;
        }
        let fingerprint = sha256_fingerprint(sess);
        let known_hosts = host.known_hosts.display().to_string();
        match kh.check_port(&host.addr, host.port, key) {
            CheckResult::Match => Ok(()),
            CheckResult::Mismatch => Err(TransportError::ChangedHostKey {
                host: host.name.clone(),
                known_hosts,
                fingerprint,
            }),
            CheckResult::NotFound | CheckResult::Failure
                if host.host_key_policy == HostKeyPolicy::AcceptNew =>
            {
                let name = if host.port == 22 {
                    host.addr.clone()
                } else {
                    format!("[{}]:{}", host.addr, host.port)
                };
                let line = format!(
                    "{name} {} {}\n",
                    kind_name(kind),
                    base64::engine::general_purpose::STANDARD.encode(key)
                );
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&host.known_hosts)
                    .map_err(|e| TransportError::Connect {
                        host: host.name.clone(),
                        addr: host.addr.clone(),
                        msg: format!("cannot record new host key in {known_hosts}: {e}"),
                    })?;
                let _ = f.write_all(line.as_bytes());
                tracing::warn!(host = %host.name, %fingerprint, "accepted new host key");
                Ok(())
            }
            CheckResult::NotFound | CheckResult::Failure => Err(TransportError::UnknownHostKey {
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
