//! The runbook model: what a runbook says, with the span of everything a diagnostic may
//! point at. Built by `parse`, checked by `validate`, resolved by `plan`.

use std::sync::Arc;
use std::time::Duration;

use crate::runbook::source::{SourceFile, Span, Spanned};

/// The only format version this drctl reads.
pub const FORMAT_VERSION: i64 = 1;

/// Top-level runbook keys.
pub const RUNBOOK_KEYS: &[&str] = &[
    "drctl",
    "kind",
    "name",
    "description",
    "severity",
    "objectives",
    "inventory",
    "vars",
    "defaults",
    "notify",
    "steps",
];
/// Keys of a step.
pub const STEP_KEYS: &[&str] = &[
    "id",
    "name",
    "phase",
    "on",
    "run",
    "upload",
    "download",
    "approve",
    "expect",
    "until",
    "capture",
    "rollback",
    "on_failure",
    "timeout",
    "retries",
    "retry_delay",
    "interval",
    "serial",
    "when",
    "drill",
    "idempotent",
    "env",
    "attempt_timeout",
    "max_interval",
    "point_of_no_return",
    "check",
    "loop",
    "loop_var",
    "needs",
    "become",
    "become_user",
];
/// Keys of `defaults:`.
pub const DEFAULT_KEYS: &[&str] = &[
    "timeout",
    "on_failure",
    "retries",
    "retry_delay",
    "interval",
    "idempotent",
    "serial",
    "attempt_timeout",
    "max_interval",
];
/// Keys of `expect:` and `until:`.
pub const CHECK_KEYS: &[&str] = &["exit", "stdout", "contains", "regex"];
/// Keys of `upload:` and `download:`.
pub const TRANSFER_KEYS: &[&str] = &["src", "dest", "mode"];
pub const KINDS: &[&str] = &["failover", "migration", "restore", "cutover"];
pub const SEVERITIES: &[&str] = &["P0", "P1", "P2", "P3"];
pub const ON_FAILURE: &[&str] = &["rollback", "abort", "continue"];

/// What a run does after a step fails on some host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    Rollback,
    Abort,
    Continue,
}

impl OnFailure {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "rollback" => Some(Self::Rollback),
            "abort" => Some(Self::Abort),
            "continue" => Some(Self::Continue),
            _ => None,
        }
    }
}

/// `serial:` — a host count or a percentage of the step's hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serial {
    Count(usize),
    Percent(u8),
}

impl Serial {
    /// How many hosts may run at once out of `total`.
    pub fn limit(self, total: usize) -> usize {
        match self {
            Serial::Count(n) => n.max(1),
            Serial::Percent(p) => ((total * p as usize) / 100).max(1),
        }
    }
}

/// A runbook variable.
#[derive(Debug, Clone)]
pub struct VarDef {
    pub name: Spanned<String>,
    pub source: VarSource,
    pub secret: bool,
}

#[derive(Debug, Clone)]
pub enum VarSource {
    Value(minijinja::Value),
    /// From the controller's environment at run time, with an optional default.
    Env {
        name: Spanned<String>,
        default: Option<String>,
    },
}

/// Success criteria (`expect:`) or a polling condition (`until:`).
#[derive(Debug, Clone, Default)]
pub struct Check {
    /// Accepted exit codes; `None` means 0 (for `until`, any when stdout is given).
    pub exit: Option<Vec<i32>>,
    /// Trimmed stdout must equal this.
    pub stdout: Option<String>,
    pub contains: Option<String>,
    pub regex: Option<Spanned<regex::Regex>>,
    pub span: Span,
}

/// A file transfer.
#[derive(Debug, Clone)]
pub struct Transfer {
    pub src: Spanned<String>,
    pub dest: Spanned<String>,
    /// Octal permission bits (for upload: remote file; for download: local file).
    pub mode: Option<u32>,
}

/// The one action of a step.
#[derive(Debug, Clone)]
pub enum Action {
    Run(Spanned<String>),
    Upload(Transfer),
    Download(Transfer),
    Approve(Spanned<String>),
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Run(_) => "run",
            Action::Upload(_) => "upload",
            Action::Download(_) => "download",
            Action::Approve(_) => "approve",
        }
    }
}

/// What a step does under `drctl drill`.
#[derive(Debug, Clone)]
pub enum DrillMode {
    Run,
    Skip,
    Replace(Spanned<String>),
}

/// Settings a step inherits from `defaults:` unless it sets its own.
#[derive(Debug, Clone, Default)]
pub struct StepDefaults {
    pub timeout: Option<Duration>,
    pub on_failure: Option<OnFailure>,
    pub retries: Option<u32>,
    pub retry_delay: Option<Duration>,
    pub interval: Option<Duration>,
    pub idempotent: Option<bool>,
    pub serial: Option<Serial>,
    /// `until`: the limit of one poll (the step's `timeout` is the whole window).
    pub attempt_timeout: Option<Duration>,
    /// `until`: the pause between polls doubles from `interval` up to this.
    pub max_interval: Option<Duration>,
}

/// One step of a runbook.
#[derive(Debug, Clone)]
pub struct Step {
    /// The file the step is written in (the runbook, or a file it includes).
    pub file: std::sync::Arc<crate::runbook::source::SourceFile>,
    pub id: Spanned<String>,
    pub name: Option<String>,
    pub phase: Option<String>,
    pub on: Vec<Spanned<String>>,
    pub action: Action,
    pub expect: Option<Check>,
    pub until: Option<Check>,
    pub capture: Option<Spanned<String>>,
    pub rollback: Option<Spanned<String>>,
    pub when: Option<Spanned<String>>,
    pub drill: DrillMode,
    pub env: Vec<(String, Spanned<String>)>,
    /// Once this step succeeded, rollback never crosses it.
    pub point_of_no_return: Option<Spanned<bool>>,
    /// `approve: {message, approvers: N}`: the gate needs N distinct persons (four-eyes).
    pub approvers: Option<Spanned<u32>>,
    /// A command that says whether the step's effect is in place (settles a step left in
    /// doubt on resume).
    pub check: Option<Probe>,
    /// `loop:` — run the step once per item, each its own unit `ID[item]`.
    pub looping: Option<Loop>,
    /// `needs:` — the steps this one waits for; without it, the step before it.
    pub needs: Vec<Spanned<String>>,
    /// `become:` — run as another account (overrides the inventory's `become`).
    pub become_switch: Option<Spanned<bool>>,
    /// `become_user:` — the account (overrides the inventory's `become_user`).
    pub become_user: Option<Spanned<String>>,
    /// Own settings; unset fields fall back to the runbook's defaults.
    pub settings: StepDefaults,
    pub span: Span,
}

impl Step {
    pub fn title(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id.value)
    }

    /// Whether the command looks like it destroys or stops something (`rm -rf`,
    /// `systemctl stop`, `DROP TABLE`, ...): such a step should carry a `rollback`.
    pub fn looks_destructive(&self) -> bool {
        static DESTRUCTIVE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(
                r"(?i)\b(rm\s+-[a-z]*[rf]|systemctl\s+(stop|disable|mask)|service\s+\S+\s+stop|kill(all)?\b|pkill\b|drop\s+(table|database)|truncate\b|mkfs|dd\s+if=|pg_ctl\s+stop|shutdown|reboot|iptables\s+-[AID])",
            )
            .expect("static regex")
        });
        matches!(&self.action, Action::Run(cmd) if DESTRUCTIVE.is_match(&cmd.value))
    }

    /// Whether the step changes a host in a way only its `rollback` could undo: destructive
    /// commands, uploads, and promotions (a promoted database does not demote itself).
    pub fn changes_state(&self) -> bool {
        self.looks_destructive()
            || matches!(self.action, Action::Upload(_))
            || matches!(&self.action, Action::Run(cmd) if cmd.value.to_lowercase().contains("promote"))
    }
}

/// `objectives:`
#[derive(Debug, Clone, Default)]
pub struct Objectives {
    pub rto: Option<Duration>,
    pub rpo: Option<Duration>,
    /// `phases: {PHASE: DURATION}`: an objective per `phase:` label.
    pub phases: Vec<(Spanned<String>, Duration)>,
}

/// `check:` — a command whose result says whether a step's effect is in place: a string
/// (in place when it exits 0), or `{run: CMD, expect: {...}}`.
#[derive(Debug, Clone)]
pub struct Probe {
    pub run: Spanned<String>,
    pub expect: Option<Check>,
}

/// `loop:` and `loop_var:`.
#[derive(Debug, Clone)]
pub struct Loop {
    pub items: LoopItems,
    /// The name the item has in templates (`item` unless `loop_var:` says).
    pub var: Spanned<String>,
}

/// What a loop goes over.
#[derive(Debug, Clone)]
pub enum LoopItems {
    /// `loop: [a, b, c]`
    List(Vec<Spanned<String>>),
    /// `loop: NAME` or `loop: "{{ NAME }}"`: a list variable.
    Var(Spanned<String>),
}

/// Keys of a `check:` mapping.
pub const PROBE_KEYS: &[&str] = &["run", "expect"];

/// Events a `notify:` receiver can subscribe to.
pub const NOTIFY_EVENTS: &[&str] = &[
    "start",
    "gate",
    "step-failed",
    "rollback",
    "finish",
    "status",
];
/// Payload formats of `notify:`.
pub const NOTIFY_FORMATS: &[&str] = &["json", "slack"];
/// Keys of one `notify:` entry.
pub const NOTIFY_KEYS: &[&str] = &["url", "format", "events", "every", "headers"];

/// One `notify:` receiver: where to POST, in which payload format, for which events, and
/// how often a `status` event is sent while the run lasts.
#[derive(Debug, Clone)]
pub struct Notify {
    /// `http://` or `https://` (certificates verified).
    pub url: Spanned<String>,
    /// `json` (versioned drctl payload) or `slack` (`{"text": ...}`).
    pub format: String,
    /// Subset of [`NOTIFY_EVENTS`]; all of them when omitted.
    pub events: Vec<String>,
    /// Period of `status` events (default 15m).
    pub every: Duration,
    /// Extra request headers; values may be templates over (secret) vars.
    pub headers: Vec<(String, Spanned<String>)>,
}

/// A parsed runbook.
#[derive(Debug, Clone)]
pub struct Runbook {
    pub file: Arc<SourceFile>,
    pub kind: String,
    pub name: String,
    pub description: Option<String>,
    pub severity: Option<String>,
    pub objectives: Objectives,
    pub inventory: Option<Spanned<String>>,
    pub vars: Vec<VarDef>,
    pub defaults: StepDefaults,
    /// `notify:` receivers (issue 15).
    pub notify: Vec<Notify>,
    pub steps: Vec<Step>,
}

impl Check {
    /// Does a command's output satisfy this check? `None` if so, else why not.
    pub fn failure(&self, o: &drctl_transport::Output, default_exit: bool) -> Option<String> {
        let out = o.stdout.trim();
        match &self.exit {
            Some(codes) if !codes.contains(&o.exit) => {
                return Some(format!("exit {} (expected {:?})", o.exit, codes));
            }
            None if default_exit && o.exit != 0 => return Some(format!("exit {}", o.exit)),
            _ => {}
        }
        if let Some(s) = &self.stdout
            && out != s.trim()
        {
            return Some(format!("stdout {:?} is not {:?}", truncate(out, 80), s));
        }
        if let Some(s) = &self.contains
            && !o.stdout.contains(s.as_str())
        {
            return Some(format!("stdout does not contain {s:?}"));
        }
        if let Some(re) = &self.regex
            && !re.is_match(&o.stdout)
        {
            return Some(format!("stdout does not match /{}/", re.as_str()));
        }
        None
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}
