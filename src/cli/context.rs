//! What every command builds from its flags: the state store, the operator's identity,
//! the console sink, and diagnostics printed for a loaded (or refused) runbook.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use drctl_core::store::RunStore;
use drctl_engine::Operator;
use drctl_engine::session::{LoadedPlan, SessionError, Target, load_plan, parse_vars};
use drctl_model::diagnostic::Diagnostic;
use drctl_report::console::{Console, Verbosity};
use drctl_state_fs::StateDir;

use super::args::{ExecArgs, TargetArgs};
use crate::error::Failure;

/// `--state` (or `DRCTL_STATE`) and `--lease-ttl`, set once by `dispatch`.
static STATE: std::sync::OnceLock<(Option<String>, u64)> = std::sync::OnceLock::new();

pub fn set_state(url: Option<String>, lease_ttl: u64) {
    let _ = STATE.set((url.filter(|u| !u.is_empty()), lease_ttl));
}

/// `--lease-ttl`, in seconds.
pub fn lease_ttl() -> u64 {
    STATE.get().map_or(10, |s| s.1)
}

/// The run state: the etcd cluster `--state etcd://…` names, else the local state
/// directory named by `--state-dir`, `DRCTL_STATE_DIR` or the default.
pub fn store(state_dir: Option<PathBuf>) -> Result<Arc<dyn RunStore>, Failure> {
    let (url, ttl) = STATE.get().cloned().unwrap_or((None, 10));
    match url {
        Some(url) if url.starts_with("etcd://") => {
            if state_dir.is_some() {
                return Err(Failure::usage(
                    "--state etcd://… and --state-dir are exclusive: the run state lives in one place",
                ));
            }
            let s = drctl_state_etcd::EtcdStore::connect(&url, ttl)
                .map_err(|e| Failure::usage(format!("--state: {e}")))?;
            Ok(Arc::new(s))
        }
        Some(other) => Err(Failure::usage(format!(
            "--state `{other}`: expected etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (a local directory is --state-dir)"
        ))),
        None => Ok(Arc::new(StateDir::resolve(state_dir))),
    }
}

/// The person behind sudo: `SUDO_USER` as sudo sets it, when it names someone other than
/// the account drctl runs as. (Like any environment variable it is as trustworthy as the
/// process that started drctl; it records who asked, not a proof.)
fn sudo_user(user: &str) -> Option<String> {
    std::env::var("SUDO_USER")
        .ok()
        .filter(|s| !s.is_empty() && s != user)
}

/// Who runs drctl, from where.
pub fn operator() -> Operator {
    Operator {
        user: drctl_transport::current_user(),
        controller: drctl_state_fs::lock::hostname(),
        sudo_user: sudo_user(&drctl_transport::current_user()),
        drctl_version: Some(super::VERSION.to_string()),
    }
}

pub fn print_diagnostics(diags: &[Diagnostic]) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for d in diags {
        eprintln!("{}\n", d.render(color));
    }
}

/// A session error as the top of the command reports it: diagnostics first, then the
/// message with its hint and exit code.
pub fn failure(e: SessionError) -> Failure {
    print_diagnostics(e.diagnostics());
    let f = Failure::new(e.exit(), e.to_string());
    match e.hint() {
        Some(h) => f.hint(h),
        None => f,
    }
}

/// The run target from its flags.
pub fn target(t: &TargetArgs) -> Result<Target, Failure> {
    Ok(Target {
        runbook: t.runbook.clone(),
        inventory: t.inventory.clone(),
        vars: parse_vars(&t.vars).map_err(failure)?,
        limit: t.limit.clone(),
    })
}

/// Load, validate and resolve; warnings are printed, errors end the command with exit 2.
pub fn load(
    t: &Target,
    mode: drctl_core::RunMode,
    run_id: impl FnOnce(&str) -> String,
) -> Result<drctl_model::plan::Plan, Failure> {
    let LoadedPlan { plan, warnings } = load_plan(t, mode, run_id).map_err(failure)?;
    print_diagnostics(&warnings);
    Ok(plan)
}

/// The console sink the flags ask for: bars on a terminal, plain lines otherwise.
pub fn console(e: &ExecArgs) -> Result<Arc<Console>, Failure> {
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

pub fn init_tracing(verbose: u8) {
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
