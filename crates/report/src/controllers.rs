//! Which controllers held a run, for the reports: the one that started it and each that
//! took it over (shared state on etcd keeps the list), with the fencing epoch each held
//! and how many journal records it wrote.

use std::fmt::Write as _;

use serde::Serialize;

use drctl_core::record::{Loaded, Record};

use super::html::escape;

/// A controller that held the run's lock.
#[derive(Debug, Clone, Serialize)]
pub struct Controller {
    /// The lock's fencing epoch while this controller held it.
    pub epoch: u64,
    pub controller: String,
    pub user: String,
    pub pid: u32,
    /// When it took the lock.
    pub since: String,
    /// It took the run over from an earlier controller that had not ended it (killed,
    /// frozen, cut off); a plain resume after a clean stop is no takeover.
    pub takeover: bool,
    pub role: Role,
    /// Journal records written under this epoch.
    pub records: usize,
}

/// How a controller came to hold the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Started,
    /// After the previous controller had stopped cleanly.
    Resumed,
    /// From a controller that had not ended the run (killed, frozen, cut off).
    TookOver,
}

/// The run's controllers, oldest first (empty when the store keeps no list: a local
/// directory, where the header names the one controller).
pub fn controllers(l: &Loaded) -> Vec<Controller> {
    l.holders
        .iter()
        .enumerate()
        .map(|(i, h)| Controller {
            epoch: h.epoch,
            controller: h.controller.clone(),
            user: h.user.clone(),
            pid: h.pid,
            since: h.since.clone(),
            takeover: i > 0 && !ended_cleanly(l, l.holders[i - 1].epoch),
            role: match i {
                0 => Role::Started,
                _ if ended_cleanly(l, l.holders[i - 1].epoch) => Role::Resumed,
                _ => Role::TookOver,
            },
            records: (0..l.records.len())
                .filter(|&r| l.epoch_of(r) == h.epoch)
                .count(),
        })
        .collect()
}

/// Whether the controller at `epoch` wrote the run's end (stopped cleanly) as its last record.
fn ended_cleanly(l: &Loaded, epoch: u64) -> bool {
    (0..l.records.len())
        .rev()
        .find(|&i| l.epoch_of(i) == epoch)
        .is_some_and(|i| matches!(l.records[i], Record::RunEnd { .. }))
}

fn what(c: &Controller) -> &'static str {
    match c.role {
        Role::Started => "started the run",
        Role::Resumed => "resumed it",
        Role::TookOver => "took the run over",
    }
}

/// The Markdown section (nothing when no list is kept).
pub fn markdown(s: &mut String, cs: &[Controller]) {
    if cs.is_empty() {
        return;
    }
    let takeovers = cs.iter().filter(|c| c.takeover).count();
    let _ = writeln!(
        s,
        "\n## Controllers\n\n{takeovers} takeover(s).\n\n| Epoch | Controller | User | Pid | Since | | Records |\n|---|---|---|---|---|---|---|"
    );
    for c in cs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.epoch,
            c.controller,
            c.user,
            c.pid,
            c.since,
            what(c),
            c.records
        );
    }
}

/// The HTML section (nothing when no list is kept).
pub fn html(s: &mut String, cs: &[Controller]) {
    if cs.is_empty() {
        return;
    }
    s.push_str("<h2>Controllers</h2><div id=\"controllers\"><table><tr><th>Epoch</th><th>Controller</th><th>User</th><th>Pid</th><th>Since</th><th></th><th>Records</th></tr>");
    for c in cs {
        let _ = write!(
            s,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if c.takeover {
                " class=\"takeover\""
            } else {
                ""
            },
            c.epoch,
            escape(&c.controller),
            escape(&c.user),
            c.pid,
            escape(&c.since),
            what(c),
            c.records
        );
    }
    s.push_str("</table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use drctl_core::record::{Header, Holder};
    use drctl_core::{Outcome, RunMode};

    fn holder(epoch: u64) -> Holder {
        Holder {
            epoch,
            controller: format!("c{epoch}"),
            user: "op".into(),
            pid: 1,
            since: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn a_resume_after_a_clean_end_is_no_takeover_a_resume_after_a_kill_is() {
        let header = Header {
            version: 1,
            run_id: "r".into(),
            runbook: "/r.yaml".into(),
            runbook_sha256: String::new(),
            name: "r".into(),
            kind: "failover".into(),
            mode: RunMode::Run,
            severity: None,
            started_at: "2026-01-01T00:00:00Z".into(),
            user: "op".into(),
            sudo_user: None,
            drctl_version: None,
            controller: "c1".into(),
            pid: 1,
            inventory: None,
            vars: Default::default(),
            limit: None,
            rto_ms: None,
        };
        let skip = |s: &str| Record::Skipped {
            t: String::new(),
            step: s.into(),
            reason: String::new(),
        };
        let end = Record::RunEnd {
            t: String::new(),
            outcome: Outcome::InFlight,
            exit: 5,
            message: String::new(),
        };
        // Epoch 5 ended cleanly (exit 5), epoch 9 resumed and was killed, epoch 12 took over.
        let l = Loaded {
            header: header.clone(),
            records: vec![Record::Header(header), skip("a"), end, skip("b"), skip("c")],
            torn_tail: false,
            epochs: vec![5, 5, 5, 9, 12],
            holders: vec![holder(5), holder(9), holder(12)],
        };
        let cs = controllers(&l);
        let roles: Vec<Role> = cs.iter().map(|c| c.role).collect();
        assert_eq!(roles, [Role::Started, Role::Resumed, Role::TookOver]);
        assert_eq!(cs.iter().map(|c| c.records).collect::<Vec<_>>(), [3, 1, 1]);
        let mut md = String::new();
        markdown(&mut md, &cs);
        assert!(
            md.contains("1 takeover(s)") && md.contains("took the run over"),
            "{md}"
        );
    }
}
