//! clap definitions of every subcommand and flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// drctl: disaster-recovery runbooks over SSH, with checkpoints, resume and rollback.
#[derive(Debug, Parser)]
#[command(name = "drctl", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check runbooks (files or folders); every problem with file:line:col.
    Validate(ValidateArgs),
    /// Show the resolved plan of a runbook without touching any host.
    Plan(PlanArgs),
    /// Print the JSON Schema of the runbook format.
    Schema,
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Output format of reports and listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// One line per problem (`validate` only).
    Short,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Runbook files or folders (searched recursively for *.yaml/*.yml starting with `drctl:`).
    #[arg(required = true, value_hint = clap::ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,
    /// Inventory to check host and group names against (default: each runbook's `inventory:`).
    #[arg(short, long, value_hint = clap::ValueHint::FilePath)]
    pub inventory: Option<PathBuf>,
    /// Extra variable NAME=VALUE (counts as defined).
    #[arg(short = 'e', long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Flags shared by commands that resolve a runbook.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// The runbook file.
    #[arg(value_hint = clap::ValueHint::FilePath)]
    pub runbook: PathBuf,
    /// Inventory file (overrides the runbook's `inventory:`).
    #[arg(short, long, value_hint = clap::ValueHint::FilePath)]
    pub inventory: Option<PathBuf>,
    /// Extra variable NAME=VALUE (highest precedence).
    #[arg(short = 'e', long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Only these hosts or groups (comma-separated); `local` steps always run.
    #[arg(long, value_delimiter = ',', value_name = "HOSTS")]
    pub limit: Option<Vec<String>>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Resolve as `drctl drill` would.
    #[arg(long)]
    pub drill: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}
