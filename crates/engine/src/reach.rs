//! `drctl hosts`: reach every host of a plan the way a run would (through its bastions,
//! with strict host keys, authentication and privilege escalation) and time a round trip,
//! without running any step. All hosts are checked at once; each within its own connect
//! timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use drctl_model::plan::Plan;
use drctl_model::runbook::inventory::Host;
use drctl_transport::{CommandSpec, Connector, TransportError};

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
}

/// The verdict over all hosts, as an exit code would tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReachVerdict {
    /// Every host answered.
    AllReached,
    /// A host key is unknown, changed or revoked somewhere (refuse the run).
    HostKeyProblem,
    /// Some host could not be reached or did not run the probe.
    SomeUnreachable,
}

/// The hosts the plan's steps run on, each once, in the order they first appear.
pub fn plan_hosts(plan: &Plan) -> Vec<Host> {
    let mut out: Vec<Host> = Vec::new();
    for s in &plan.steps {
        for h in &s.hosts {
            if !out.iter().any(|o| o.name == h.name) {
                out.push(h.clone());
            }
        }
    }
    out
}

/// Check every host at once, one thread per host.
pub fn check_hosts(hosts: &[Host], connector: Arc<dyn Connector>) -> Vec<HostReach> {
    let handles: Vec<_> = hosts
        .iter()
        .cloned()
        .map(|host| {
            let connector = connector.clone();
            std::thread::spawn(move || {
                let result = reach_one(&host, connector.as_ref());
                HostReach { host, result }
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("reach thread"))
        .collect()
}

fn reach_one(host: &Host, connector: &dyn Connector) -> Result<Reached, TransportError> {
    let t0 = Instant::now();
    let mut conn = connector.connect(host)?;
    let connect = t0.elapsed();
    let spec = CommandSpec {
        command: "id -un".into(),
        env: Vec::new(),
        timeout: host.connect_timeout.max(Duration::from_secs(5)),
    };
    let t1 = Instant::now();
    let out = conn.exec(&spec)?;
    let latency = t1.elapsed();
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
    Ok(Reached {
        connect,
        latency,
        account: out.stdout.trim().to_string(),
    })
}

/// The verdict over a set of results.
pub fn verdict(results: &[HostReach]) -> ReachVerdict {
    if results
        .iter()
        .any(|r| r.result.as_ref().is_err_and(TransportError::is_host_key))
    {
        ReachVerdict::HostKeyProblem
    } else if results.iter().any(|r| r.result.is_err()) {
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
        let res = check_hosts(&[a.clone(), b], Arc::new(fake));
        assert_eq!(res.len(), 2);
        assert_eq!(res[0].result.as_ref().unwrap().account, "svc");
        assert_eq!(verdict(&res), ReachVerdict::SomeUnreachable);
        let only_a = check_hosts(&[a], Arc::new(FakeConnector::ok()));
        assert_eq!(verdict(&only_a), ReachVerdict::AllReached);
    }
}
