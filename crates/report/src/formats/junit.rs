//! The JUnit XML rendering, for CI dashboards: one test case per step and host.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use crate::after_action::{HostRun, RunReport};

use super::{ms, recovery_line};

fn case(name: String, class: &str, h: &HostRun) -> TestCase {
    let status = match h.ok {
        Some(true) => TestCaseStatus::success(),
        Some(false) => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(h.error.clone().unwrap_or_else(|| match h.exit {
                Some(e) => format!("exit {e}"),
                None => "failed".into(),
            }));
            st.set_description(h.stderr_tail.clone());
            st
        }
        None => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message("started, never finished: outcome unknown");
            st
        }
    };
    let mut c = TestCase::new(name, status);
    c.set_classname(class.to_string());
    if let Some(d) = h.duration_ms {
        c.set_time(Duration::from_millis(d));
    }
    if !h.stdout_tail.is_empty() {
        c.set_system_out_lossy(h.stdout_tail.as_bytes());
    }
    if !h.stderr_tail.is_empty() {
        c.set_system_err_lossy(h.stderr_tail.as_bytes());
    }
    c
}

/// JUnit XML: one suite per run; one test case per step and host, one per rollback and
/// host, skipped steps as skipped cases, and a case for the recovery time objective.
pub fn junit(r: &RunReport) -> String {
    let mut report = quick_junit::Report::new("drctl");
    let mut suite = TestSuite::new(format!("{} ({})", r.name, r.mode));
    for (k, v) in [
        ("run_id", r.run_id.as_str()),
        ("kind", &r.kind),
        ("severity", r.severity.as_deref().unwrap_or("")),
        ("user", &r.user),
        ("sudo_user", r.sudo_user.as_deref().unwrap_or("")),
        ("drctl_version", r.drctl_version()),
        ("controller", &r.controller),
        ("started_at", &r.started_at),
        ("outcome", &r.outcome),
    ] {
        suite.add_property(Property::new(k, v));
    }
    if let Some(d) = r.duration_ms {
        suite.set_time(Duration::from_millis(d));
    }
    for st in &r.steps {
        let class = format!("{}.{}", r.name, st.phase.as_deref().unwrap_or("steps"));
        for h in &st.hosts {
            suite.add_test_case(case(format!("{} @ {}", st.id, h.host), &class, h));
        }
        for h in &st.rollback {
            suite.add_test_case(case(format!("rollback {} @ {}", st.id, h.host), &class, h));
        }
        if st.hosts.is_empty() && st.state == "skipped" {
            let mut s = TestCaseStatus::skipped();
            s.set_message(st.note.clone().unwrap_or_default());
            let mut c = TestCase::new(st.id.clone(), s);
            c.set_classname(class);
            suite.add_test_case(c);
        }
    }
    if r.recovery.objective_ms.is_some() {
        let status = match r.recovery.met {
            Some(true) => TestCaseStatus::success(),
            _ => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(recovery_line(r));
                s
            }
        };
        let mut c = TestCase::new("recovery time objective", status);
        c.set_classname(format!("{}.objectives", r.name));
        suite.add_test_case(c);
    }
    for p in &r.phases {
        let (Some(o), Some(met)) = (p.objective_ms, p.met) else {
            continue;
        };
        let status = if met {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!(
                "phase {} took {}, objective {}",
                p.name,
                ms(Some(p.duration_ms)),
                ms(Some(o))
            ));
            s
        };
        let mut c = TestCase::new(format!("phase objective {}", p.name), status);
        c.set_classname(format!("{}.objectives", r.name));
        suite.add_test_case(c);
    }
    report.add_test_suite(suite);
    report.to_string().unwrap_or_default()
}
