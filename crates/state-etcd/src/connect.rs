//! How a controller reaches its etcd cluster: the `--state` URL (`etcd://` plain,
//! `etcds://` TLS), the CA, client certificate and user/password options, and the first
//! request that proves the cluster answers (so a wrong CA or password is an error at once,
//! never a hang).

use std::path::PathBuf;
use std::time::Duration;

use etcd_client::{Certificate, Client, ConnectOptions, GetOptions, Identity, TlsOptions};

/// Default lease TTL of a lock, in seconds.
pub const DEFAULT_LEASE_TTL: u64 = 10;

/// Whether the cluster is spoken to over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `etcd://`: plain HTTP/2.
    Plain,
    /// `etcds://`: TLS.
    Tls,
}

/// What `--state etcd://…` names: endpoints and a key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdUrl {
    pub endpoints: Vec<String>,
    pub prefix: String,
    pub scheme: Scheme,
}

impl EtcdUrl {
    /// `etcd://HOST:PORT[,HOST:PORT…][/PREFIX]`, or `etcds://…` for TLS.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (scheme, rest) = if let Some(r) = url.strip_prefix("etcd://") {
            (Scheme::Plain, r)
        } else if let Some(r) = url.strip_prefix("etcds://") {
            (Scheme::Tls, r)
        } else {
            return Err(format!(
                "`{url}`: expected etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (etcds://… for TLS)"
            ));
        };
        let (hosts, prefix) = match rest.split_once('/') {
            Some((h, p)) => (h, p.trim_matches('/')),
            None => (rest, ""),
        };
        let http = match scheme {
            Scheme::Plain => "http",
            Scheme::Tls => "https",
        };
        let endpoints: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| format!("{http}://{h}"))
            .collect();
        if endpoints.is_empty() {
            return Err(format!("`{url}`: no etcd endpoint"));
        }
        let prefix = if prefix.is_empty() {
            "/drctl/".to_string()
        } else {
            format!("/{prefix}/")
        };
        Ok(Self {
            endpoints,
            prefix,
            scheme,
        })
    }
}

/// How to connect: the lock's lease, TLS files and etcd user.
#[derive(Debug, Clone)]
pub struct EtcdOptions {
    /// Lease TTL of a run's lock, in seconds.
    pub lease_ttl: u64,
    /// CA certificate (PEM) the cluster's server certificates are checked against.
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM) for etcd's `--client-cert-auth`; needs `key`.
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub key: Option<PathBuf>,
    /// etcd user (RBAC) and its password.
    pub user: Option<(String, String)>,
}

impl Default for EtcdOptions {
    fn default() -> Self {
        Self {
            lease_ttl: DEFAULT_LEASE_TTL,
            cacert: None,
            cert: None,
            key: None,
            user: None,
        }
    }
}

/// An error with every cause it wraps (tonic's "transport error" alone says nothing).
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

fn read(what: &str, p: &PathBuf) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("{what} {}: {e}", p.display()))
}

/// etcd-client's options from ours.
fn connect_options(url: &EtcdUrl, o: &EtcdOptions) -> Result<ConnectOptions, String> {
    let mut opts = ConnectOptions::new()
        .with_connect_timeout(Duration::from_secs(3))
        .with_timeout(Duration::from_secs(o.lease_ttl.clamp(2, 10)));
    if let Some((u, p)) = &o.user {
        opts = opts.with_user(u.clone(), p.clone());
    }
    let any_tls = o.cacert.is_some() || o.cert.is_some() || o.key.is_some();
    match url.scheme {
        Scheme::Plain if any_tls => {
            return Err(
                "--etcd-cacert/--etcd-cert/--etcd-key need TLS: write the URL as etcds://…".into(),
            );
        }
        Scheme::Plain => {}
        Scheme::Tls => {
            let mut tls = TlsOptions::new();
            if let Some(ca) = &o.cacert {
                tls = tls.ca_certificate(Certificate::from_pem(read("--etcd-cacert", ca)?));
            } else {
                tls = tls.with_enabled_roots();
            }
            match (&o.cert, &o.key) {
                (Some(c), Some(k)) => {
                    tls = tls.identity(Identity::from_pem(
                        read("--etcd-cert", c)?,
                        read("--etcd-key", k)?,
                    ));
                }
                (None, None) => {}
                _ => return Err("--etcd-cert and --etcd-key go together".into()),
            }
            opts = opts.with_tls(tls);
        }
    }
    Ok(opts)
}

/// Connect and make one read, bounded in time: the cluster answers, or the error says why.
pub(crate) async fn connect(url: &EtcdUrl, o: &EtcdOptions) -> Result<Client, String> {
    let opts = connect_options(url, o)?;
    let limit = Duration::from_secs(o.lease_ttl.clamp(5, 10));
    let endpoints = url.endpoints.clone();
    let probe = url.prefix.clone();
    let hint = match url.scheme {
        Scheme::Tls if o.cert.is_none() => {
            " (if the cluster requires client certificates, give --etcd-cert and --etcd-key)"
        }
        Scheme::Tls => "",
        Scheme::Plain => " (if the endpoint speaks TLS, write the URL as etcds://…)",
    };
    let work = async move {
        let c = crate::rpc::retry(|| Client::connect(endpoints.clone(), Some(opts.clone())))
            .await
            .map_err(|e| format!("cannot connect: {}", chain(&e)))?;
        crate::rpc::get(
            c.clone(),
            probe,
            Some(GetOptions::new().with_keys_only().with_limit(1)),
        )
        .await
        .map_err(|e| {
            let why = chain(&e);
            let hint = if why.contains("transport") { hint } else { "" };
            format!("the cluster does not answer: {why}{hint}")
        })?;
        Ok::<_, String>(c)
    };
    match tokio::time::timeout(limit, work).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "no answer from {} within {} s (wrong address, TLS or certificate?)",
            url.endpoints.join(","),
            limit.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = EtcdUrl::parse("etcd://127.0.0.1:2379,10.0.0.2:2379/team/a").unwrap();
        assert_eq!(
            u.endpoints,
            vec!["http://127.0.0.1:2379", "http://10.0.0.2:2379"]
        );
        assert_eq!(u.prefix, "/team/a/");
        assert_eq!(u.scheme, Scheme::Plain);
        assert_eq!(EtcdUrl::parse("etcd://h:1").unwrap().prefix, "/drctl/");
        let t = EtcdUrl::parse("etcds://h:1").unwrap();
        assert_eq!(
            (t.endpoints[0].as_str(), t.scheme),
            ("https://h:1", Scheme::Tls)
        );
        assert!(EtcdUrl::parse("http://h:1").is_err());
        assert!(EtcdUrl::parse("etcd:///x").is_err());
    }

    #[test]
    fn tls_files_need_etcds() {
        let u = EtcdUrl::parse("etcd://h:1").unwrap();
        let o = EtcdOptions {
            cacert: Some("/ca.pem".into()),
            ..Default::default()
        };
        assert!(connect_options(&u, &o).unwrap_err().contains("etcds://"));
        let u = EtcdUrl::parse("etcds://h:1").unwrap();
        let o = EtcdOptions {
            cacert: Some("/nonexistent/ca.pem".into()),
            ..Default::default()
        };
        assert!(
            connect_options(&u, &o)
                .unwrap_err()
                .contains("--etcd-cacert")
        );
    }
}
