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
use drctl_state_etcd::{EtcdOptions, EtcdStore};
use drctl_state_fs::StateDir;

use super::args::{ExecArgs, TargetArgs};
use crate::error::Failure;

/// `--state` (or `DRCTL_STATE`), `--lease-ttl` and the etcd connection options, set once
/// by `dispatch`.
static STATE: std::sync::OnceLock<StateConfig> = std::sync::OnceLock::new();

/// Where the run state lives and how to reach it.
#[derive(Debug, Clone, Default)]
pub struct StateConfig {
    pub url: Option<String>,
    pub etcd: EtcdOptions,
}

impl StateConfig {
    /// From the global flags; the etcd password only from `DRCTL_ETCD_PASSWORD`.
    pub fn from_cli(cli: &super::Cli) -> Self {
        Self {
            url: cli.state.clone().filter(|u| !u.is_empty()),
            etcd: EtcdOptions {
                lease_ttl: cli.lease_ttl,
                cacert: cli.etcd_cacert.clone(),
                cert: cli.etcd_cert.clone(),
                key: cli.etcd_key.clone(),
                user: cli.etcd_user.clone().map(|u| {
                    let p = std::env::var("DRCTL_ETCD_PASSWORD").unwrap_or_default();
                    (u, p)
                }),
            },
        }
    }
}

pub fn set_state(c: StateConfig) {
    let _ = STATE.set(c);
}

/// `--lease-ttl`, in seconds.
pub fn lease_ttl() -> u64 {
    STATE.get().map_or(10, |s| s.etcd.lease_ttl)
}

/// `--state`, when given.
pub fn state_url() -> Option<String> {
    STATE.get().and_then(|s| s.url.clone())
}

/// Connect to the etcd store `url` names, with the global connection options.
pub fn etcd(url: &str) -> Result<EtcdStore, Failure> {
    let c = STATE.get().cloned().unwrap_or_default();
    if let Some((u, p)) = &c.etcd.user
        && p.is_empty()
    {
        return Err(Failure::usage(format!(
            "--etcd-user {u}: set its password in the environment variable DRCTL_ETCD_PASSWORD"
        )));
    }
    EtcdStore::connect_with(url, &c.etcd).map_err(|e| Failure::usage(format!("--state: {e}")))
}

/// The run state: the etcd cluster `--state etcd://…` names, else the local state
/// directory named by `--state-dir`, `DRCTL_STATE_DIR` or the default.
pub fn store(state_dir: Option<PathBuf>) -> Result<Arc<dyn RunStore>, Failure> {
    match state_url() {
        Some(url) if url.starts_with("etcd://") || url.starts_with("etcds://") => {
            if state_dir.is_some() {
                return Err(Failure::usage(
                    "--state etcd://… and --state-dir are exclusive: the run state lives in one place",
                ));
            }
            Ok(Arc::new(etcd(&url)?))
        }
        Some(other) => Err(Failure::usage(format!(
            "--state `{other}`: expected etcd://HOST:PORT[,HOST:PORT…][/PREFIX] or etcds://… (a local directory is --state-dir)"
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
