//! `drctl run|failover|migrate|restore|cutover|drill|resume|rollback`: flags become a
//! session request; the session runs it; the outcome becomes an exit code and reports.

use std::sync::Arc;

use drctl_core::Phase;
use drctl_core::events::{Event, EventSink, GateState, Sinks};
use drctl_core::record::Record;
use drctl_core::{Exit, RunMode};
use drctl_engine::session::{Finished, ResumeKind, ResumeRequest, Session, Unresolved, new_run_id};
use drctl_engine::{ExecOptions, NoReturn};
use drctl_model::plan::Plan;
use drctl_notify::{Notifier, Receiver, RunInfo};
use drctl_report::plan_view;
use drctl_ssh::RealConnector;

use super::args::{DrillArgs, ExecArgs, ResumeArgs, RunArgs};
use super::context::{self, failure};
use crate::error::Failure;

/// A session over the local state directory and real hosts, telling the console.
fn session(
    e: &ExecArgs,
    rerun: &[String],
    skip: &[String],
    no_return: NoReturn,
    notifier: Option<Arc<dyn EventSink>>,
) -> Result<Session, Failure> {
    context::init_tracing(e.verbose);
    let operator = context::operator();
    let console: Arc<dyn EventSink> = context::console(e)?;
    let mut extra: Vec<Arc<dyn EventSink>> = notifier.into_iter().collect();
    if e.format == super::args::Format::Json {
        extra.push(Arc::new(JsonLines));
    }
    let sinks: Arc<dyn EventSink> = if extra.is_empty() {
        console.clone()
    } else {
        let mut all = vec![console.clone()];
        all.extend(extra);
        Arc::new(Sinks::new(all))
    };
    let options = ExecOptions {
        forks: e.forks as usize,
        rerun: rerun.iter().cloned().collect(),
        skip: skip.iter().cloned().collect(),
        no_return,
        gate_wait: e.gate_wait,
        ..ExecOptions::default()
    };
    super::signals::install(options.cancel.clone(), console.clone());
    let approver =
        super::prompt::approver(e, &operator.who(), console.clone(), options.cancel.clone());
    Ok(Session::new(
        context::store(e.state_dir.clone())?,
        Arc::new(RealConnector::new()),
        operator,
    )
    .sinks(sinks)
    .approver(approver)
    .options(options))
}

/// `--format json`: every event as one JSON line on stdout (`{"event": ..., ...}`), for
/// tools; texts are the masked ones the console shows.
struct JsonLines;

impl EventSink for JsonLines {
    fn event(&self, e: &Event) {
        use serde_json::json;
        let ms = |d: &std::time::Duration| d.as_millis() as u64;
        let v = match e {
            Event::RunStarted {
                run_id,
                name,
                kind,
                mode,
                steps,
                resumed,
            } => json!({"event": "run-started", "run_id": run_id, "name": name, "kind": kind,
                "mode": mode.as_str(), "steps": steps, "resumed": resumed}),
            Event::StepStarted {
                id,
                title,
                phase,
                hosts,
                run_phase,
            } => json!({"event": "step-started", "step": id, "title": title, "phase": phase,
                "hosts": hosts, "rollback": *run_phase == Phase::Rollback}),
            Event::HostDone(h) => json!({"event": "host-done", "step": h.step, "host": h.host,
                "rollback": h.phase == Phase::Rollback, "ok": h.ok, "skipped": h.skipped,
                "exit": h.exit, "attempts": h.attempts, "duration_ms": ms(&h.duration),
                "error": h.error, "stderr_tail": h.stderr}),
            Event::StepFinished {
                id,
                ok,
                failed,
                duration,
                run_phase,
            } => json!({"event": "step-finished", "step": id, "ok": ok, "failed_hosts": failed,
                "duration_ms": ms(duration), "rollback": *run_phase == Phase::Rollback}),
            Event::StepSkipped { id, reason } => {
                json!({"event": "step-skipped", "step": id, "reason": reason})
            }
            Event::Gate { id, message, state } => {
                let (state, by) = match state {
                    GateState::Waiting => ("waiting", None),
                    GateState::Approved { by } => ("approved", Some(by)),
                    GateState::NotApproved => ("not-approved", None),
                };
                json!({"event": "gate", "step": id, "message": message, "state": state, "approved_by": by})
            }
            Event::RollbackStarted { reason } => {
                json!({"event": "rollback-started", "reason": reason})
            }
            Event::Message { text } => json!({"event": "message", "text": text}),
            Event::RunFinished {
                outcome,
                exit,
                duration,
                message,
            } => json!({"event": "run-finished", "outcome": outcome.to_string(), "exit": exit,
                "duration_ms": ms(duration), "message": message}),
        };
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{v}");
        let _ = out.flush();
    }
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
    let notifier = notifier(&plan);
    let s = session(
        &a.exec,
        &[],
        &[],
        NoReturn::Stop,
        notifier.clone().map(|n| n as Arc<dyn EventSink>),
    )?;
    let unresolved = if a.force_new {
        Unresolved::StartAnyway
    } else {
        Unresolved::Refuse
    };
    let finished = s.start(plan, &target, unresolved);
    if let (Some(n), Ok(f)) = (&notifier, &finished) {
        notified(n, &a.exec, &f.run_id);
    }
    Ok(Some(finished.map_err(failure)?))
}

/// The run is over: the last messages get a short grace (never the exit code), and what
/// could not be delivered is journaled (`notify_failed`) for the reports.
fn notified(n: &Notifier, e: &ExecArgs, run_id: &str) {
    n.finish(std::time::Duration::from_secs(3));
    let lost = n.undelivered();
    if lost.is_empty() {
        return;
    }
    let records: Vec<Record> = lost
        .into_iter()
        .map(|u| Record::NotifyFailed {
            t: u.t,
            url: u.receiver,
            event: u.event,
            error: u.error,
        })
        .collect();
    let journaled = context::store(e.state_dir.clone())
        .map_err(|f| f.to_string())
        .and_then(|s| s.reopen_run(run_id).map_err(|x| x.to_string()))
        .and_then(|log| log.append_all(&records).map_err(|x| x.to_string()));
    if let Err(err) = journaled {
        eprintln!("warning: notify: could not journal the undelivered notifications: {err}");
    }
}

/// A sink set once the plan is known (resume and rollback learn it from the journal after
/// the session is built): the notifier of the run's `notify:` receivers.
#[derive(Default)]
struct Later(std::sync::OnceLock<Arc<Notifier>>);

impl EventSink for Later {
    fn event(&self, e: &Event) {
        if let Some(n) = self.0.get() {
            n.event(e);
        }
    }
}

/// The `notify:` receivers of the runbook and of the inventory as a sink (a receiver
/// both name by the same url is the runbook's), headers rendered from the plan's vars
/// (`{{ name }}`), every payload and warning masked with the plan's masker.
fn notifier(plan: &Plan) -> Option<Arc<Notifier>> {
    let rb = &plan.runbook;
    let mut all: Vec<&drctl_model::runbook::model::Notify> = rb.notify.iter().collect();
    for n in &plan.inventory.notify {
        if !all.iter().any(|m| m.url.value == n.url.value) {
            all.push(n);
        }
    }
    if all.is_empty() {
        return None;
    }
    let render = |v: &str| {
        let mut out = v.to_string();
        for (k, val) in &plan.context {
            let val = val.to_string();
            out = out
                .replace(&format!("{{{{ {k} }}}}"), &val)
                .replace(&format!("{{{{{k}}}}}"), &val);
        }
        out
    };
    let receivers = all
        .into_iter()
        .map(|n| Receiver {
            url: render(&n.url.value),
            format: n.format.clone(),
            events: n.events.clone(),
            every: n.every,
            headers: n
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), render(&v.value)))
                .collect(),
        })
        .collect();
    let masker = plan.masker.clone();
    Some(Notifier::new(
        receivers,
        RunInfo {
            runbook: rb.file.display(),
            name: rb.name.clone(),
            kind: rb.kind.clone(),
            severity: rb.severity.clone(),
            rto: rb.objectives.rto,
        },
        Arc::new(move |t: &str| masker.mask(t)),
    ))
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
    let no_return = if a.cross_point_of_no_return {
        NoReturn::Cross
    } else {
        NoReturn::Stop
    };
    let later = Arc::new(Later::default());
    let s = session(
        &a.exec,
        &a.rerun,
        &a.skip,
        no_return,
        Some(later.clone() as Arc<dyn EventSink>),
    )?;
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
    // --takeover: while a holder's lock lives, wait (bounded by the holder's lease TTL, or
    // ours when it cannot be read) for its lease to expire, then take the lock with a new
    // epoch and continue from the journal.
    let mut deadline = None;
    let mut said = false;
    let f = loop {
        let r = s.prepare_resume(&req).map_err(failure)?;
        let deadline = *deadline.get_or_insert_with(|| {
            let ttl = s
                .holder(&r.plan.runbook.name)
                .and_then(|h| h.lease_ttl)
                .unwrap_or(std::time::Duration::from_secs(context::lease_ttl()));
            std::time::Instant::now() + ttl + std::time::Duration::from_secs(2)
        });
        if later.0.get().is_none()
            && let Some(n) = notifier(&r.plan)
        {
            n.set_run_id(&a.run_id);
            let _ = later.0.set(n);
        }
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
            other => {
                if let (Some(n), Ok(f)) = (later.0.get(), &other) {
                    notified(n, &a.exec, &f.run_id);
                }
                break other.map_err(failure)?;
            }
        }
    };
    let exit = f.outcome.exit();
    let show = f.mode == RunMode::Drill && (!a.exec.quiet || exit != Exit::Success);
    super::report::after_run(&a.exec, &f.run_id, show);
    Ok(exit)
}
