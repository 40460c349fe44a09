//! `drctl hosts`: reach every host of a plan the way a run would (through its bastions,
//! with strict host keys, authentication and privilege escalation) and time a round trip,
//! without running any step. All hosts are checked at once; each within its own connect
//! timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use drctl_model::plan::Plan;
use drctl_model::runbook::become_keys;
use drctl_model::runbook::inventory::Host;
use drctl_transport::{Become, CommandSpec, Connection, Connector, Secret, TransportError};

/// A host to check and the accounts the plan's steps become on it.
#[derive(Debug, Clone)]
pub struct HostToCheck {
    pub host: Host,
    pub become_as: Vec<Become>,
}

/// What was found out about one host.
#[derive(Debug, Clone)]
pub struct HostReach {
    pub host: Host,
    /// `Ok`: connected and authenticated; the round trip of a trivial command.
    pub result: Result<Reached, TransportError>,
}

/// A host that answered.
#[derive(Debug, Clone)]
pub struct Reached {
    /// Connect + key check + authentication.
    pub connect: Duration,
    /// One command's round trip on the open connection.
    pub latency: Duration,
    /// The account commands run as (`id -un` on the host).
    pub account: String,
    /// Each account the plan becomes on the host, and whether it worked.
    pub become_as: Vec<BecomeCheck>,
}

/// One account the plan becomes on a host, as checked.
#[derive(Debug, Clone)]
pub struct BecomeCheck {
    /// Whom, and how (`sudo to postgres`).
    pub become_as: Become,
    /// `Ok`: the account `id -un` gave (the wanted one); `Err`: why not.
    pub result: Result<String, String>,
}

impl Reached {
    /// Did every `become` the plan needs on this host work?
    pub fn become_ok(&self) -> bool {
        self.become_as.iter().all(|c| c.result.is_ok())
    }
}

/// The verdict over all hosts, as an exit code would tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReachVerdict {
    /// Every host answered.
    AllReached,
    /// A host key is unknown, changed or revoked somewhere (refuse the run).
    HostKeyProblem,
    /// Some host could not be reached, or a `become` it needs failed.
    SomeUnreachable,
}

/// The hosts the plan's steps run on, each once, in the order they first appear, with
/// every account a step becomes there (its password rendered from its secret var).
pub fn plan_hosts(plan: &Plan) -> Vec<HostToCheck> {
    let mut out: Vec<HostToCheck> = Vec::new();
    for s in &plan.steps {
        for h in &s.hosts {
            let i = match out.iter().position(|o| o.host.name == h.name) {
                Some(i) => i,
                None => {
                    out.push(HostToCheck {
                        host: h.clone(),
                        become_as: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            if let Some(cfg) = become_keys::effective(&s.step, h) {
                let password = cfg
                    .password
                    .as_deref()
                    .and_then(become_keys::password_var)
                    .and_then(|var| plan.context.get(var))
                    .map(|v| Secret::new(v.as_str().map_or_else(|| v.to_string(), String::from)));
                let b = Become {
                    user: cfg.user,
                    method: cfg.method,
                    password,
                };
                if !out[i].become_as.contains(&b) {
                    out[i].become_as.push(b);
                }
            }
        }
    }
    out
}

/// Check every host at once, one thread per host.
pub fn check_hosts(hosts: &[HostToCheck], connector: Arc<dyn Connector>) -> Vec<HostReach> {
    let handles: Vec<_> = hosts
        .iter()
        .cloned()
        .map(|h| {
            let connector = connector.clone();
            std::thread::spawn(move || {
                let result = reach_one(&h, connector.as_ref());
                HostReach {
                    host: h.host,
                    result,
                }
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("reach thread"))
        .collect()
}

/// `id -un` on an open connection.
fn whoami(conn: &mut dyn Connection, host: &Host) -> Result<String, TransportError> {
    let spec = CommandSpec {
        command: "id -un".into(),
        env: Vec::new(),
        timeout: host.connect_timeout.max(Duration::from_secs(5)) * 3,
    };
    let out = conn.exec(&spec)?;
    if out.exit != 0 {
        return Err(TransportError::Lost {
            host: host.name.clone(),
            msg: format!(
                "`id -un` exited {}: {}",
                out.exit,
                out.stderr.lines().last().unwrap_or("")
            ),
        });
    }
    Ok(out.stdout.trim().to_string())
}

fn reach_one(h: &HostToCheck, connector: &dyn Connector) -> Result<Reached, TransportError> {
    let host = &h.host;
    let t0 = Instant::now();
    let mut conn = connector.connect(host)?;
    let connect = t0.elapsed();
    let t1 = Instant::now();
    let account = whoami(conn.as_mut(), host)?;
    let latency = t1.elapsed();
    let mut become_as = Vec::new();
    for b in &h.become_as {
        let got = conn
            .set_become(Some(b))
            .and_then(|()| whoami(conn.as_mut(), host))
            .map_err(|e| e.to_string())
            .and_then(|who| {
                if who == b.user {
                    Ok(who)
                } else {
                    Err(format!("{}: commands ran as `{who}`", b.describe()))
                }
            });
        become_as.push(BecomeCheck {
            become_as: b.clone(),
            result: got,
        });
    }
    let _ = conn.set_become(None);
    Ok(Reached {
        connect,
        latency,
        account,
        become_as,
    })
}

/// The verdict over a set of results.
pub fn verdict(results: &[HostReach]) -> ReachVerdict {
    if results
        .iter()
        .any(|r| r.result.as_ref().is_err_and(TransportError::is_host_key))
    {
        ReachVerdict::HostKeyProblem
    } else if results
        .iter()
        .any(|r| r.result.as_ref().is_ok_and(|ok| !ok.become_ok()) || r.result.is_err())
    {
        ReachVerdict::SomeUnreachable
    } else {
        ReachVerdict::AllReached
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drctl_transport::fake::FakeConnector;

    #[test]
    fn all_hosts_checked_and_verdict_follows_the_worst() {
        let mut a = Host::local();
        a.name = "a".into();
        let mut b = Host::local();
        b.name = "b".into();
        let fake = FakeConnector::new(|host, cmd| {
            assert_eq!(cmd, "id -un");
            if host == "b" {
                return Err(TransportError::Connect {
                    host: "b".into(),
                    addr: "b:22".into(),
                    msg: "refused".into(),
                });
            }
            Ok(drctl_transport::Output {
                stdout: "svc\n".into(),
                ..Default::default()
            })
        });
        let h = |host: &Host| HostToCheck {
            host: host.clone(),
            become_as: Vec::new(),
        };
        let res = check_hosts(&[h(&a), h(&b)], Arc::new(fake));
        assert_eq!(res.len(), 2);
        assert_eq!(res[0].result.as_ref().unwrap().account, "svc");
        assert_eq!(verdict(&res), ReachVerdict::SomeUnreachable);
        let only_a = check_hosts(&[h(&a)], Arc::new(FakeConnector::ok()));
        assert_eq!(verdict(&only_a), ReachVerdict::AllReached);
    }
}
