//! `drctl run|failover|migrate|restore|cutover|drill|resume|rollback`: set up state, lock,
//! journal and reporter, hand the plan to the engine, map the outcome to an exit code.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::error::{Exit, Failure};
use crate::exec::engine::Runner;
use crate::exec::events::Reporter;
use crate::exec::{ExecOptions, RunOutcome};
use crate::plan::{Plan, RunMode};
use crate::report::console::{Console, Verbosity};
use crate::runbook::inventory::current_user;
use crate::state::audit::Audit;
use crate::state::checkpoint::Checkpoint;
use crate::state::journal::{self, Header, JOURNAL_VERSION, Journal};
use crate::state::{StateDir, StateError, lock, now_rfc3339};
use crate::transport::{Connector, RealConnector, sha256_hex};

use super::args::{DrillArgs, ExecArgs, ResumeArgs, RunArgs, TargetArgs};
use super::load::{load_plan, parse_vars};

fn state_err(e: StateError) -> Failure {
    match e {
        StateError::Locked(m) => Failure::new(Exit::Refused, m).hint(
            "wait for that run to finish; a lock whose process is gone is taken over automatically",
        ),
        StateError::NoSuchRun(id) => {
            Failure::usage(format!("no run `{id}`")).hint("`drctl runs` lists runs")
        }
        e => Failure::usage(e.to_string()),
    }
}

/// A new run id: `NAME-YYYYMMDDTHHMMSSZ-XXXX`.
pub fn new_run_id(name: &str) -> String {
    let ts = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let mut b = [0u8; 2];
    let _ = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b));
    format!("{name}-{ts}-{}", hex::encode(b))
}

fn init_tracing(verbose: u8) {
    let filter = std::env::var("DRCTL_LOG").unwrap_or_else(|_| {
        if verbose >= 2 {
            "debug".into()
        } else {
            "warn".into()
        }
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}

fn reporter(e: &ExecArgs) -> anyhow::Result<Arc<dyn Reporter>> {
    let verbosity = if e.quiet {
        Verbosity::Quiet
    } else if e.verbose > 0 {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let progress = !e.no_progress
        && !e.quiet
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none();
    let log = match &e.log_file {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|err| Failure::usage(format!("--log-file {}: {err}", p.display())))?,
        ),
        None => None,
    };
    Ok(Arc::new(Console::new(verbosity, progress, log)))
}

fn options(e: &ExecArgs, rerun: &[String], skip: &[String]) -> ExecOptions {
    ExecOptions {
        forks: e.forks as usize,
        yes: e.yes,
        approve: e.approve.iter().cloned().collect(),
        interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        rerun: rerun.iter().cloned().collect::<BTreeSet<_>>(),
        skip: skip.iter().cloned().collect(),
        ..ExecOptions::default()
    }
}

/// First Ctrl-C: stop starting new work; second: exit at once (in-flight steps stay "unknown").
fn install_ctrl_c(opts: &ExecOptions, reporter: Arc<dyn Reporter>) {
    let cancel = opts.cancel.clone();
    tokio::spawn(async move {
        loop {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            if cancel.swap(true, Ordering::SeqCst) {
                eprintln!("\nsecond Ctrl-C: stopping now; in-flight steps are recorded as unknown");
                std::process::exit(Exit::Interrupted.code());
            }
            reporter.event(&crate::exec::events::Event::Message {
                text: "Ctrl-C: letting in-flight commands finish, then saving (Ctrl-C again to stop at once)".into(),
            });
        }
    });
}

/// Run the engine on a plan with a journal, under the runbook's lock.
#[allow(clippy::too_many_arguments)]
fn execute(
    plan: Plan,
    journal: Journal,
    checkpoint: Checkpoint,
    opts: ExecOptions,
    reporter: Arc<dyn Reporter>,
    state: &StateDir,
    resumed: bool,
    connector: Arc<dyn Connector>,
) -> anyhow::Result<RunOutcome> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(1024)
        .build()?;
    let audit = Some(Audit::new(state.audit()));
    Ok(rt.block_on(async move {
        install_ctrl_c(&opts, reporter.clone());
        let runner = Runner::new(
            Arc::new(plan),
            connector,
            journal,
            checkpoint,
            opts,
            reporter,
            audit,
        );
        runner.run(resumed).await
    }))
}

fn start(
    target: &TargetArgs,
    e: &ExecArgs,
    mode: RunMode,
    want_kind: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<(Exit, Option<String>, StateDir)> {
    init_tracing(e.verbose);
    let plan = load_plan(target, mode, new_run_id)?;
    let run_id = plan.run_id.clone();
    if let Some(k) = want_kind
        && plan.runbook.kind != k
    {
        let cmd = match plan.runbook.kind.as_str() {
            "failover" => "failover",
            "migration" => "migrate",
            "restore" => "restore",
            _ => "cutover",
        };
        return Err(Failure::usage(format!(
            "{} is a `{}` runbook, not `{k}`; refusing to run it",
            target.runbook.display(),
            plan.runbook.kind
        ))
        .hint(format!(
            "use `drctl {cmd}` (or `drctl run`) if this is really the runbook you mean"
        ))
        .into());
    }
    if dry_run {
        let view = crate::report::plan_view::build(&plan, &Default::default());
        print!("{}", crate::report::plan_view::render_text(&view));
        return Ok((Exit::Success, None, StateDir::resolve(e.state_dir.clone())));
    }
    if !plan.missing_env.is_empty() {
        return Err(Failure::usage(format!(
            "environment variable(s) not set: {}",
            plan.missing_env.join(", ")
        ))
        .hint("export them (secrets are never stored in runbooks)")
        .into());
    }
    if let Some(dir) = &e.report_dir {
        super::report::prepare_dir(dir)?;
    }
    let state = StateDir::resolve(e.state_dir.clone());
    let run_dir = state.run(&run_id);
    state.ensure(&run_dir).map_err(state_err)?;
    let _lock = lock::acquire(&state, &plan.runbook.name, &run_id).map_err(|err| {
        let _ = std::fs::remove_dir_all(&run_dir);
        state_err(err)
    })?;
    let reporter = reporter(e)?;
    if let Some(msg) = &_lock.took_over {
        reporter.event(&crate::exec::events::Event::Message { text: msg.clone() });
    }
    let text = &plan.runbook.file.text;
    crate::state::write_atomic(&run_dir.join("runbook.yaml"), text.as_bytes())
        .map_err(state_err)?;
    let secret_names: BTreeSet<&str> = plan
        .runbook
        .vars
        .iter()
        .filter(|v| v.secret)
        .map(|v| v.name.value.as_str())
        .collect();
    let header = Header {
        version: JOURNAL_VERSION,
        run_id: run_id.clone(),
        runbook: abs(&target.runbook),
        runbook_sha256: sha256_hex(text.as_bytes()),
        name: plan.runbook.name.clone(),
        kind: plan.runbook.kind.clone(),
        mode,
        severity: plan.runbook.severity.clone(),
        started_at: now_rfc3339(),
        user: current_user(),
        controller: lock::hostname(),
        pid: std::process::id(),
        inventory: plan.inventory.file.as_ref().map(|f| abs(&f.path)),
        vars: parse_vars(&target.vars)?
            .into_iter()
            .filter(|(k, _)| !secret_names.contains(k.as_str()))
            .collect(),
        limit: target.limit.clone(),
        rto_ms: plan.runbook.objectives.rto.map(|d| d.as_millis() as u64),
    };
    let journal = Journal::create(&run_dir, header).map_err(state_err)?;
    let opts = options(e, &[], &[]);
    let outcome = execute(
        plan,
        journal,
        Checkpoint::default(),
        opts,
        reporter,
        &state,
        false,
        Arc::new(RealConnector),
    )?;
    Ok((outcome.exit, Some(run_id), state))
}

fn abs(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

pub fn run(a: RunArgs, want_kind: Option<&str>) -> anyhow::Result<Exit> {
    let (exit, run_id, state) = start(&a.target, &a.exec, RunMode::Run, want_kind, a.dry_run)?;
    if let Some(id) = run_id {
        super::report::after_run(&state, &id, a.exec.report_dir.as_deref(), false);
    }
    Ok(exit)
}

/// A drill ends with the report's summary: verdict, recovery time, phases, what is left.
pub fn drill(a: DrillArgs) -> anyhow::Result<Exit> {
    let (exit, run_id, state) = start(
        &a.run.target,
        &a.run.exec,
        RunMode::Drill,
        None,
        a.run.dry_run,
    )?;
    if let Some(id) = run_id {
        let show = !a.run.exec.quiet || exit != Exit::Success;
        super::report::after_run(&state, &id, a.run.exec.report_dir.as_deref(), show);
    }
    Ok(exit)
}

/// `drctl resume` (rollback = false) and `drctl rollback` (rollback = true).
pub fn resume(a: ResumeArgs, rollback: bool) -> anyhow::Result<Exit> {
    init_tracing(a.exec.verbose);
    let state = StateDir::resolve(a.exec.state_dir.clone());
    let dir = state.run(&a.run_id);
    if !dir.is_dir() {
        return Err(state_err(StateError::NoSuchRun(a.run_id.clone())).into());
    }
    let loaded = journal::load(&dir).map_err(state_err)?;
    let h = loaded.header.clone();
    let cp = Checkpoint::from_journal(&loaded);
    if let Some((outcome, _)) = &cp.ended {
        let finished = matches!(
            outcome.as_str(),
            "succeeded" | "rolled-back" | "drill-passed" | "drill-failed" | "drill-missed-rto"
        );
        if finished && !(rollback && outcome == "succeeded") {
            return Err(Failure::usage(format!(
                "run {} already ended ({outcome}); nothing to {}",
                a.run_id,
                if rollback { "roll back" } else { "resume" }
            ))
            .into());
        }
    }
    let runbook = PathBuf::from(&h.runbook);
    let current = std::fs::read_to_string(&runbook)
        .map_err(|e| Failure::usage(format!("{}: {e}", runbook.display())))?;
    if sha256_hex(current.as_bytes()) != h.runbook_sha256 {
        let old = std::fs::read_to_string(dir.join("runbook.yaml")).unwrap_or_default();
        let changes = super::diff::describe(&old, &current);
        if !a.allow_changed {
            return Err(Failure::usage(format!(
                "{} changed since run {} started:\n{changes}",
                runbook.display(),
                a.run_id
            ))
            .hint("review the changes; `--allow-changed` resumes with the new runbook")
            .into());
        }
        eprintln!(
            "warning: the runbook changed since the run started (--allow-changed):\n{changes}"
        );
    }
    let mut vars: Vec<String> = h.vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
    vars.extend(a.vars.iter().cloned());
    let target = TargetArgs {
        runbook,
        inventory: a
            .inventory
            .clone()
            .or(h.inventory.as_ref().map(PathBuf::from)),
        vars,
        limit: h.limit.clone(),
    };
    let plan = load_plan(&target, h.mode, |_| h.run_id.clone())?;
    if !plan.missing_env.is_empty() {
        return Err(Failure::usage(format!(
            "environment variable(s) not set: {}",
            plan.missing_env.join(", ")
        ))
        .into());
    }
    for d in a.rerun.iter().chain(&a.skip) {
        let (step, host) = d
            .split_once('@')
            .map_or((d.as_str(), None), |(s, h)| (s, Some(h)));
        let Some(ps) = plan.steps.iter().find(|p| p.step.id.value == step) else {
            return Err(
                Failure::usage(format!("`{d}`: the runbook has no step `{step}`"))
                    .hint("`drctl status RUN_ID` shows the steps and where they stand")
                    .into(),
            );
        };
        if let Some(host) = host
            && !ps.hosts.iter().any(|h| h.name == host)
        {
            return Err(
                Failure::usage(format!("`{d}`: step `{step}` does not run on `{host}`")).into(),
            );
        }
    }
    if let Some(dir) = &a.exec.report_dir {
        super::report::prepare_dir(dir)?;
    }
    let _lock = lock::acquire(&state, &plan.runbook.name, &h.run_id).map_err(state_err)?;
    if let Some(msg) = &_lock.took_over {
        eprintln!("note: {msg}");
    }
    if loaded.torn_tail {
        eprintln!("note: the journal's last record was cut short by a crash and was ignored");
    }
    let journal = Journal::open_append(&dir).map_err(state_err)?;
    let reporter = reporter(&a.exec)?;
    let opts = options(&a.exec, &a.rerun, &a.skip);
    let outcome = if rollback {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let audit = Some(Audit::new(state.audit()));
        let reason = format!(
            "rollback of run {} requested by {}",
            h.run_id,
            current_user()
        );
        rt.block_on(async move {
            install_ctrl_c(&opts, reporter.clone());
            let runner = Runner::new(
                Arc::new(plan),
                Arc::new(RealConnector),
                journal,
                cp,
                opts,
                reporter,
                audit,
            );
            runner.rollback_all(reason).await
        })
    } else {
        execute(
            plan,
            journal,
            cp,
            opts,
            reporter,
            &state,
            true,
            Arc::new(RealConnector),
        )?
    };
    drop(_lock);
    let show = h.mode == RunMode::Drill && (!a.exec.quiet || outcome.exit != Exit::Success);
    super::report::after_run(&state, &h.run_id, a.exec.report_dir.as_deref(), show);
    // `drctl rollback` that succeeds has done what was asked.
    if rollback && outcome.exit == Exit::FailedRolledBack {
        return Ok(Exit::Success);
    }
    Ok(outcome.exit)
}
