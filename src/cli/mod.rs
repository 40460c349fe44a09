//! The command line (clap lives only here): arguments become checked configs that the
//! engine takes; errors become exit codes.

mod answer;
mod args;
pub mod completions;
mod context;
mod hosts;
pub mod man;
mod plan;
mod prompt;
mod report;
mod run;
mod signals;
mod status;
mod validate;
mod watch;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use drctl_core::store::AuditVerdict;
use drctl_engine::session::ResumeKind;

use crate::error::{Exit, exit_for};
pub use args::{Cli, Command};

/// This drctl and the commit it was built from, e.g. `0.1.0 (commit 1a2b3c4d5e6f)`.
pub const VERSION: &str = env!("DRCTL_VERSION");

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    // `--version` names the commit; the man pages (generated from `Cli::command()`) keep
    // the plain package version so that they do not go stale with every commit.
    let parsed = Cli::command()
        .version(VERSION)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() {
                Exit::Usage.code()
            } else {
                0
            };
            return ExitCode::from(code as u8);
        }
    };
    let exit = match dispatch(cli) {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("drctl: error: {e:#}");
            exit_for(&e)
        }
    };
    ExitCode::from(exit.code() as u8)
}

fn dispatch(cli: Cli) -> anyhow::Result<Exit> {
    context::set_state(cli.state.clone(), cli.lease_ttl);
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match cli.command {
        Command::Validate(a) => validate::run(a, color),
        Command::Plan(a) => plan::run(a),
        Command::Hosts(a) => hosts::run(a),
        Command::Run(a) => run::run(a, None),
        Command::Failover(a) => run::run(a, Some("failover")),
        Command::Migrate(a) => run::run(a, Some("migration")),
        Command::Restore(a) => run::run(a, Some("restore")),
        Command::Cutover(a) => run::run(a, Some("cutover")),
        Command::Drill(a) => run::drill(a),
        Command::Resume(a) => run::resume(a, ResumeKind::Continue),
        Command::Rollback(a) => run::resume(a, ResumeKind::Rollback),
        Command::Approve(a) => answer::run(a, drctl_core::gate::Verdict::Approve),
        Command::Decline(a) => answer::run(a, drctl_core::gate::Verdict::Decline),
        Command::Watch(a) => watch::run(a),
        Command::Status(a) => status::status(a),
        Command::Runs(a) => status::runs(a),
        Command::Report(a) => report::run(a),
        Command::Audit {
            action: args::AuditAction::Verify { state_dir },
        } => {
            let store = context::store(state_dir)?;
            let path = store.audit_location();
            match store
                .verify_audit()
                .map_err(|e| crate::error::Failure::usage(e.to_string()))?
            {
                AuditVerdict::Intact { entries } => {
                    println!("{path}: intact, {entries} entries");
                    Ok(Exit::Success)
                }
                AuditVerdict::Broken { line, reason } => {
                    println!("{path}:{line}: BROKEN: {reason}");
                    Ok(Exit::FailedRolledBack)
                }
            }
        }
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&drctl_model::schema::runbook_schema())?
            );
            Ok(Exit::Success)
        }
        Command::Completions { shell } => completions::run(shell),
        Command::Man { dir } => man::run(&dir),
    }
}
