//! `approve:` — a gate's message, and how many distinct persons must approve it.

use crate::runbook::reader::Reader;
use crate::runbook::source::Spanned;
use crate::runbook::yaml::{Kind, Node};

/// `approve: MESSAGE` or `approve: {message: MESSAGE, approvers: N}` (N distinct persons
/// must approve, 1..=9).
pub(super) fn approve(
    r: &mut Reader,
    n: &Node,
    path: &str,
) -> Option<(Spanned<String>, Option<Spanned<u32>>)> {
    if !matches!(n.kind, Kind::Map(_)) {
        return r.string(n, path).map(|m| (m, None));
    }
    let f = r.map(n, path, &["message", "approvers"])?;
    let Some(m) = f.get("message") else {
        r.error(n, "missing-key", format!("`{path}` needs `message:`"))
            .hint = Some("e.g. `approve: {message: \"Promote?\", approvers: 2}`".into());
        return None;
    };
    let message = r.string(m, &format!("{path}.message"))?;
    let approvers = match f.get("approvers") {
        None => None,
        Some(a) => {
            let v = r.int(a, &format!("{path}.approvers"), 1, 9)?;
            Some(Spanned::new(v as u32, a.span))
        }
    };
    Some((message, approvers))
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Diagnostic;
    use crate::runbook::model::Runbook;
    use crate::runbook::parse::parse_runbook;
    use crate::runbook::source::SourceFile;

    fn parse(gate: &str) -> (Option<Runbook>, Vec<Diagnostic>) {
        let text =
            format!("drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: go\n    approve: {gate}\n");
        parse_runbook(&SourceFile::new("rb.yaml", text))
    }

    #[test]
    fn a_gate_is_a_message_or_a_message_with_approvers() {
        let (rb, d) = parse("Promote?");
        assert!(d.is_empty(), "{d:?}");
        assert!(rb.unwrap().steps[0].approvers.is_none());
        let (rb, d) = parse("{message: 'Promote?', approvers: 2}");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(rb.unwrap().steps[0].approvers.as_ref().unwrap().value, 2);
    }

    #[test]
    fn bad_approvers_are_errors_with_their_place() {
        for (gate, code) in [
            ("{message: x, approvers: 0}", "out-of-range"),
            ("{message: x, approvers: 10}", "out-of-range"),
            ("{message: x, approvers: two}", "wrong-type"),
            ("{approvers: 2}", "missing-key"),
            ("{message: x, quorum: 2}", "unknown-key"),
        ] {
            let (_, d) = parse(gate);
            assert!(d.iter().any(|d| d.code == code), "{gate}: {d:?}");
            assert!(d.iter().all(|d| d.span.line == 6), "{gate}: {d:?}");
        }
    }
}
