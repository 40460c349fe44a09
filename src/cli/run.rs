//! `drctl run|failover|migrate|restore|cutover|drill|resume|rollback`: flags become a
//! session request; the session runs it; the outcome becomes an exit code and reports.

use std::sync::Arc;

use drctl_core::events::EventSink;
use drctl_core::{Exit, RunMode};
use drctl_engine::ExecOptions;
use drctl_engine::session::{Finished, ResumeKind, ResumeRequest, Session, Unresolved, new_run_id};
use drctl_report::plan_view;
use drctl_ssh::RealConnector;

use super::args::{DrillArgs, ExecArgs, ResumeArgs, RunArgs};
use super::context::{self, failure};
use crate::error::Failure;

/// A session over the local state directory and real hosts, telling the console.
fn session(e: &ExecArgs, rerun: &[String], skip: &[String]) -> Result<Session, Failure> {
    context::init_tracing(e.verbose);
    let operator = context::operator();
    let console: Arc<dyn EventSink> = context::console(e)?;
    let options = ExecOptions {
        forks: e.forks as usize,
        rerun: rerun.iter().cloned().collect(),
        skip: skip.iter().cloned().collect(),
        ..ExecOptions::default()
    };
    super::signals::install(options.cancel.clone(), console.clone());
    let approver =
        super::prompt::approver(e, &operator.user, console.clone(), options.cancel.clone());
    Ok(Session::new(
        context::store(e.state_dir.clone())?,
        Arc::new(RealConnector),
        operator,
    )
    .sinks(console)
    .approver(approver)
    .options(options))
}

/// The `drctl` command that runs a runbook of this kind.
fn command_for(kind: &str) -> &'static str {
    match kind {
        "failover" => "failover",
        "migration" => "migrate",
        "restore" => "restore",
        _ => "cutover",
    }
}

fn start(a: &RunArgs, mode: RunMode, want_kind: Option<&str>) -> anyhow::Result<Option<Finished>> {
    let target = context::target(&a.target)?;
    let plan = context::load(&target, mode, new_run_id)?;
    if let Some(k) = want_kind
        && plan.runbook.kind != k
    {
        return Err(Failure::usage(format!(
            "{} is a `{}` runbook, not `{k}`; refusing to run it",
            target.runbook.display(),
            plan.runbook.kind
        ))
        .hint(format!(
            "use `drctl {}` (or `drctl run`) if this is really the runbook you mean",
            command_for(&plan.runbook.kind)
        ))
        .into());
    }
    if a.dry_run {
        let view = plan_view::build(&plan, &Default::default());
        print!("{}", plan_view::render_text(&view));
        return Ok(None);
    }
    if let Some(dir) = &a.exec.report_dir {
        super::report::prepare_dir(dir)?;
    }
    let s = session(&a.exec, &[], &[])?;
    let unresolved = if a.force_new {
        Unresolved::StartAnyway
    } else {
        Unresolved::Refuse
    };
    Ok(Some(s.start(plan, &target, unresolved).map_err(failure)?))
}

pub fn run(a: RunArgs, want_kind: Option<&str>) -> anyhow::Result<Exit> {
    let Some(f) = start(&a, RunMode::Run, want_kind)? else {
        return Ok(Exit::Success);
    };
    super::report::after_run(&a.exec, &f.run_id, false);
    Ok(f.outcome.exit())
}

/// A drill ends with the report's summary: verdict, recovery time, phases, what is left.
pub fn drill(a: DrillArgs) -> anyhow::Result<Exit> {
    let Some(f) = start(&a.run, RunMode::Drill, None)? else {
        return Ok(Exit::Success);
    };
    let exit = f.outcome.exit();
    let show = !a.run.exec.quiet || exit != Exit::Success;
    super::report::after_run(&a.run.exec, &f.run_id, show);
    Ok(exit)
}

/// `drctl resume` and `drctl rollback`.
pub fn resume(a: ResumeArgs, kind: ResumeKind) -> anyhow::Result<Exit> {
    let s = session(&a.exec, &a.rerun, &a.skip)?;
    let req = ResumeRequest {
        run_id: a.run_id.clone(),
        kind,
        inventory: a.inventory.clone(),
        vars: drctl_engine::session::parse_vars(&a.vars).map_err(failure)?,
        allow_changed: a.allow_changed,
    };
    if let Some(dir) = &a.exec.report_dir {
        super::report::prepare_dir(dir)?;
    }
    // --takeover: while a holder's lock lives, wait (bounded by the lease TTL) for its
    // lease to expire, then take the lock with a new epoch and continue from the journal.
    let deadline =
        std::time::Instant::now() + std::time::Duration::from_secs(context::lease_ttl() + 2);
    let mut said = false;
    let f = loop {
        let r = s.prepare_resume(&req).map_err(failure)?;
        if !said {
            context::print_diagnostics(&r.warnings);
            for n in &r.notes {
                eprintln!("{n}");
            }
        }
        match s.resume(r) {
            Err(drctl_engine::session::SessionError::Locked(m))
                if a.takeover && std::time::Instant::now() < deadline =>
            {
                if !said {
                    eprintln!("takeover: {m}; waiting for its lease to expire");
                    said = true;
                }
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            other => break other.map_err(failure)?,
        }
    };
    let exit = f.outcome.exit();
    let show = f.mode == RunMode::Drill && (!a.exec.quiet || exit != Exit::Success);
    super::report::after_run(&a.exec, &f.run_id, show);
    Ok(exit)
}
