//! What changed in a runbook between the start of a run and a resume, step by step.

use drctl_model::runbook::parse::parse_runbook;
use drctl_model::runbook::source::SourceFile;

fn fingerprint(s: &drctl_model::runbook::model::Step) -> String {
    let action = match &s.action {
        drctl_model::runbook::model::Action::Run(c) => format!("run {}", c.value),
        drctl_model::runbook::model::Action::Approve(m) => format!("approve {}", m.value),
        drctl_model::runbook::model::Action::Upload(t) => {
            format!("upload {} {}", t.src.value, t.dest.value)
        }
        drctl_model::runbook::model::Action::Download(t) => {
            format!("download {} {}", t.src.value, t.dest.value)
        }
    };
    let on: Vec<&str> = s.on.iter().map(|o| o.value.as_str()).collect();
    format!(
        "{action} | on {} | rollback {:?} | when {:?}",
        on.join(","),
        s.rollback.as_ref().map(|r| &r.value),
        s.when.as_ref().map(|w| &w.value)
    )
}

/// One line per added, removed or changed step (or "no step changed").
pub fn describe(old: &str, new: &str) -> String {
    let (a, _) = parse_runbook(&SourceFile::new("old", old));
    let (b, _) = parse_runbook(&SourceFile::new("new", new));
    let (Some(a), Some(b)) = (a, b) else {
        return "  (the runbook no longer parses)".into();
    };
    let mut out = Vec::new();
    for s in &a.steps {
        match b.steps.iter().find(|x| x.id.value == s.id.value) {
            None => out.push(format!("  - removed step `{}`", s.id.value)),
            Some(x) if fingerprint(x) != fingerprint(s) => out.push(format!(
                "  ~ changed step `{}`: {} → {}",
                s.id.value,
                fingerprint(s),
                fingerprint(x)
            )),
            _ => {}
        }
    }
    for s in &b.steps {
        if !a.steps.iter().any(|x| x.id.value == s.id.value) {
            out.push(format!("  + added step `{}`", s.id.value));
        }
    }
    if out.is_empty() {
        "  (no step changed; only comments, names or settings)".into()
    } else {
        out.join("\n")
    }
}
