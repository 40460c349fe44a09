//! clap definitions of every subcommand and flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// drctl: disaster-recovery runbooks over SSH, with checkpoints, resume and rollback.
#[derive(Debug, Parser)]
#[command(name = "drctl", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Shared run state on etcd: etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (default: the
    /// local state directory). Runs, locks and the audit chain then live in the cluster.
    #[arg(long, global = true, env = "DRCTL_STATE", value_name = "URL")]
    pub state: Option<String>,
    /// Lease of a run's lock on etcd, in seconds: a controller that stops renewing it
    /// loses the run this long after.
    #[arg(long, global = true, env = "DRCTL_LEASE_TTL", value_name = "SECONDS",
          default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub lease_ttl: u64,
    /// CA certificate (PEM) that etcd's server certificates are checked against
    /// (`etcds://` URLs; default: the system's roots).
    #[arg(long, global = true, env = "DRCTL_ETCD_CACERT", value_name = "FILE",
          value_hint = clap::ValueHint::FilePath)]
    pub etcd_cacert: Option<PathBuf>,
    /// Client certificate (PEM) for an etcd that requires one (`--client-cert-auth`).
    #[arg(long, global = true, env = "DRCTL_ETCD_CERT", value_name = "FILE",
          value_hint = clap::ValueHint::FilePath, requires = "etcd_key")]
    pub etcd_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, global = true, env = "DRCTL_ETCD_KEY", value_name = "FILE",
          value_hint = clap::ValueHint::FilePath, requires = "etcd_cert")]
    pub etcd_key: Option<PathBuf>,
    /// etcd user (etcd's RBAC); its password comes from the environment variable
    /// DRCTL_ETCD_PASSWORD, never from the command line.
    #[arg(long, global = true, env = "DRCTL_ETCD_USER", value_name = "USER")]
    pub etcd_user: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check runbooks (files or folders); every problem with file:line:col.
    Validate(ValidateArgs),
    /// Show the resolved plan of a runbook without touching any host.
    Plan(PlanArgs),
    /// Connect to every host a runbook would touch (bastions, host keys, authentication,
    /// become) and print a table; no step runs. Exit 4 on a host-key problem.
    Hosts(HostsArgs),
    /// Run a runbook of any kind.
    Run(RunArgs),
    /// Run a `kind: failover` runbook (refuses any other kind).
    Failover(RunArgs),
    /// Run a `kind: migration` runbook (refuses any other kind).
    Migrate(RunArgs),
    /// Run a `kind: restore` runbook (refuses any other kind).
    Restore(RunArgs),
    /// Run a `kind: cutover` runbook (refuses any other kind).
    Cutover(RunArgs),
    /// Rehearse: run in drill mode, roll everything back, judge against the objectives.
    Drill(DrillArgs),
    /// Continue a stopped or crashed run from its checkpoint.
    Resume(ResumeArgs),
    /// Undo the completed steps of a run, newest first.
    Rollback(ResumeArgs),
    /// Approve a gate a run waits at (run with --gate-wait), from another terminal.
    Approve(AnswerArgs),
    /// Decline a gate a run waits at (it fails like a declined prompt: rollback); --reason required.
    Decline(AnswerArgs),
    /// Follow a run live from any terminal; exits with the run's exit code when it ends.
    Watch(WatchArgs),
    /// Where a run stands, step by step and host by host (default: the latest run).
    Status(StatusArgs),
    /// History of runs.
    Runs(RunsArgs),
    /// After-action report of a run: Markdown, JSON, JUnit XML, Prometheus text or HTML.
    Report(ReportArgs),
    /// The tamper-evident audit journal.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Shared run state: move runs between a local directory and etcd.
    State {
        #[command(subcommand)]
        action: StateAction,
    },
    /// Print the JSON Schema of the runbook format.
    Schema,
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (drctl.1, drctl-COMMAND.1), generated from this definition, into DIR.
    #[command(hide = true)]
    Man {
        #[arg(value_hint = clap::ValueHint::DirPath)]
        dir: PathBuf,
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
    /// Inventory file, drctl's YAML or Ansible's INI or YAML (overrides the runbook's `inventory:`).
    #[arg(short, long, value_hint = clap::ValueHint::FilePath)]
    pub inventory: Option<PathBuf>,
    /// Extra variable NAME=VALUE (highest precedence).
    #[arg(short = 'e', long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Only hosts matching these patterns: host or group names, globs (`db*`), `!EXCLUDED`,
    /// `&INTERSECTED`, separated by `,` or `:`; `local` steps always run.
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

#[derive(Debug, Args)]
pub struct HostsArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: TableFormat,
}

/// Output of a table command: for people, or for tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Text,
    Json,
}

/// Flags of commands that execute.
#[derive(Debug, Args, Clone)]
pub struct ExecArgs {
    /// `json`: stream the run's events as JSON lines on stdout, for tools (human progress
    /// stays on stderr).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// At most this many hosts at once in a step.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub forks: u32,
    /// Pass every approval gate (for cron).
    #[arg(long)]
    pub yes: bool,
    /// Pass this approval gate (repeatable).
    #[arg(long, value_name = "STEP")]
    pub approve: Vec<String>,
    /// At a gate nobody can answer at a terminal, keep the lock and connections and wait
    /// this long (e.g. 30s, 15m) for `drctl approve`/`drctl decline` from another terminal
    /// before stopping (exit 5). Default: stop at once.
    #[arg(long, value_name = "DURATION", value_parser = gate_wait)]
    pub gate_wait: Option<std::time::Duration>,
    /// State directory (default: $DRCTL_STATE_DIR, else ~/.local/state/drctl).
    #[arg(long, value_hint = clap::ValueHint::DirPath)]
    pub state_dir: Option<PathBuf>,
    /// No progress bars, plain lines even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
    /// Also write every line to this file.
    #[arg(long, value_hint = clap::ValueHint::FilePath)]
    pub log_file: Option<PathBuf>,
    /// More output: each host's stdout and stderr (-vv: debug logs, or set DRCTL_LOG).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only the final line and errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// At the end, write the after-action report into DIR as Markdown, JSON, JUnit XML,
    /// Prometheus text and HTML (drctl-NAME.md, .json, .junit.xml, .prom, .html).
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub report_dir: Option<PathBuf>,
}

fn gate_wait(s: &str) -> Result<std::time::Duration, String> {
    drctl_model::runbook::duration::parse_duration(s)
}

/// `drctl approve` / `drctl decline`.
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The run waiting at the gate (see `drctl runs`, `drctl watch`).
    pub run_id: String,
    /// The gate's step id.
    pub step: String,
    /// Why (journaled, audited and in the report); required to decline.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[arg(long, value_hint = clap::ValueHint::DirPath)]
    pub state_dir: Option<PathBuf>,
}

/// `drctl watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The run to follow (default: the latest run).
    pub run_id: Option<String>,
    #[arg(long, value_hint = clap::ValueHint::DirPath)]
    pub state_dir: Option<PathBuf>,
    /// Plain lines even on a terminal (without a terminal they always are).
    #[arg(long)]
    pub no_progress: bool,
    /// How often the journal is read, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(50..=10000))]
    pub interval: u64,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub exec: ExecArgs,
    /// Show the plan and stop (= `drctl plan`).
    #[arg(long)]
    pub dry_run: bool,
    /// Start a new run even though the runbook's previous run is unresolved (in flight,
    /// stopped at a gate, failed without rollback, crashed).
    #[arg(long)]
    pub force_new: bool,
}

#[derive(Debug, Args)]
pub struct DrillArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run id (see `drctl runs`).
    pub run_id: String,
    #[command(flatten)]
    pub exec: ExecArgs,
    /// Inventory (default: the one the run used).
    #[arg(short, long, value_hint = clap::ValueHint::FilePath)]
    pub inventory: Option<PathBuf>,
    /// Extra variable NAME=VALUE (default: the run's own).
    #[arg(short = 'e', long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Re-run this step where it was left in flight (STEP@HOST: on that host only).
    #[arg(long, value_name = "STEP[@HOST]")]
    pub rerun: Vec<String>,
    /// Treat this in-flight step as done (STEP@HOST: on that host only).
    #[arg(long, value_name = "STEP[@HOST]")]
    pub skip: Vec<String>,
    /// Go on although the runbook changed since the run started (the changes are shown).
    #[arg(long)]
    pub allow_changed: bool,
    /// `drctl rollback`: also undo a step marked `point_of_no_return` and every step
    /// before it (without it, the rollback stops at that step).
    #[arg(long)]
    pub cross_point_of_no_return: bool,
    /// Shared state: if another controller holds the run's lock, wait for its lease to
    /// expire (at most --lease-ttl + 2 s), then take the run over with a new epoch.
    #[arg(long)]
    pub takeover: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    pub run_id: Option<String>,
    #[arg(long, value_hint = clap::ValueHint::DirPath)]
    pub state_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Formats of `drctl report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatArg {
    /// Markdown after-action report.
    Md,
    /// The same content as JSON.
    Json,
    /// JUnit XML: a test case per step and host.
    Junit,
    /// Prometheus text format (node_exporter textfile collector).
    Prom,
    /// One self-contained HTML page: summary, RTO, phases, SVG timeline, failures.
    Html,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run id (default: the latest run).
    pub run_id: Option<String>,
    #[arg(long, value_enum, default_value = "md")]
    pub format: ReportFormatArg,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long, value_hint = clap::ValueHint::FilePath)]
    pub output: Option<PathBuf>,
    #[arg(long, value_hint = clap::ValueHint::DirPath)]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[arg(long, value_hint = clap::ValueHint::DirPath)]
    pub state_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Check the hash chain; names the first line altered, removed or reordered.
    Verify {
        #[arg(long, value_hint = clap::ValueHint::DirPath)]
        state_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StateAction {
    /// Copy every run of a local state directory (journals, runbook copies, the audit
    /// chain) into etcd; refuses a live (locked) run; copying again is harmless.
    Migrate {
        /// The state directory to copy from (default: DRCTL_STATE_DIR or the default one).
        #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
        from: Option<PathBuf>,
        /// The etcd store to copy to: etcd://HOST:PORT[,…][/PREFIX] (default: --state).
        #[arg(long, value_name = "URL")]
        to: Option<String>,
    },
}
