//! The table of field descriptions behind `drctl schema`: one entry per (context, field).

/// (context, field, description). The context is the key the enclosing object sits
/// under (`steps` for a step, `expect`/`until` for a check, `vars` for a variable).
pub const FIELD_DOCS: &[(&str, &str, &str)] = &[
    // `notify:` receivers.
    (
        "",
        "notify",
        "Webhook receivers of the run's events: a list of {url, format, events, every, headers}.",
    ),
    (
        "notify",
        "url",
        "Where to POST: an http:// or https:// URL (certificates verified).",
    ),
    (
        "notify",
        "format",
        "`json` (drctl's versioned payload) or `slack` ({\"text\": ...}).",
    ),
    (
        "notify",
        "events",
        "Which events to send: start, gate, step-failed, rollback, finish, status (default: all).",
    ),
    (
        "notify",
        "every",
        "How often a `status` event is sent while the run lasts (default 15m).",
    ),
    (
        "notify",
        "headers",
        "Extra request headers; values may use {{ var }}, secret vars included.",
    ),
    // `check: {run, expect}`.
    (
        "check",
        "run",
        "The command whose result says whether the step's effect is in place.",
    ),
    (
        "check",
        "expect",
        "What the check's output must show for the effect to count as in place (default: exit 0).",
    ),
    // `approve: {message, approvers}`.
    (
        "approve",
        "message",
        "The question shown at the gate (templates allowed, secrets masked).",
    ),
    (
        "approve",
        "approvers",
        "How many distinct persons must approve (1..9, default 1); the same person twice counts once.",
    ),
    // Top level.
    ("", "drctl", "Format version; only 1 is read."),
    (
        "",
        "kind",
        "What the runbook does: failover, migration, restore or cutover. `drctl failover` and the other kind commands refuse another kind.",
    ),
    (
        "",
        "name",
        "Runbook name ([a-z0-9-]+): names the run, its lock and its report files.",
    ),
    (
        "",
        "description",
        "Free text shown in the plan and the reports.",
    ),
    ("", "severity", "Urgency tier P0..P3, shown in the reports."),
    (
        "",
        "objectives",
        "What the run is judged against: `rto` and `rpo`.",
    ),
    (
        "",
        "inventory",
        "Inventory file, relative to this runbook; `--inventory` overrides it.",
    ),
    (
        "",
        "vars",
        "Named values for templates: a plain value, or {value|env, default, secret}.",
    ),
    (
        "",
        "defaults",
        "Settings every step inherits unless it sets its own.",
    ),
    (
        "",
        "steps",
        "The steps, run in order; each has an `id` and one action (run, upload, download, approve).",
    ),
    // objectives:
    (
        "objectives",
        "rto",
        "Recovery time objective: from the run's start to the end of the last forward command. A drill over it fails.",
    ),
    (
        "objectives",
        "rpo",
        "Recovery point objective; informational unless a step measures it.",
    ),
    (
        "objectives",
        "phases",
        "Objective per `phase:` label: PHASE: DURATION, judged in drills and reports.",
    ),
    // A step.
    (
        "steps",
        "id",
        "Unique step id ([a-z0-9-]+); the checkpoint key used by resume, --approve, --rerun and --skip.",
    ),
    ("steps", "name", "Title shown instead of the id."),
    ("steps", "phase", "Free label; reports time each phase."),
    (
        "steps",
        "on",
        "Host or group name, or a list of them; `local` is the controller.",
    ),
    (
        "steps",
        "run",
        "Shell command (a template; values travel as environment variables, never pasted into the text).",
    ),
    (
        "steps",
        "upload",
        "Copy a file from the controller to each host: {src, dest, mode}.",
    ),
    (
        "steps",
        "download",
        "Copy a file from each host to the controller: {src, dest, mode}; several hosts need {{ host.name }} in dest.",
    ),
    (
        "steps",
        "approve",
        "Approval gate: the message is shown and the run waits for a human (--yes or --approve STEP pass it; drctl approve from another terminal with --gate-wait). A string, or {message, approvers: N}: N distinct persons must approve (four-eyes).",
    ),
    (
        "steps",
        "expect",
        "Success criteria of the command; default: exit 0.",
    ),
    (
        "steps",
        "until",
        "Poll the command until it matches, every `interval`, within `timeout`.",
    ),
    (
        "steps",
        "capture",
        "Store the command's trimmed stdout under this name for later templates (per host).",
    ),
    (
        "steps",
        "rollback",
        "Command that undoes the step, run newest first on the hosts where the step succeeded.",
    ),
    (
        "steps",
        "when",
        "Condition evaluated per host (`mode == \"drill\"`); the step is skipped where false.",
    ),
    (
        "steps",
        "drill",
        "Under `drctl drill`: `run`, `skip`, or a replacement command.",
    ),
    ("steps", "env", "Environment variables of the command."),
    (
        "steps",
        "check",
        "Command (with optional expect) telling whether the step's effect is in place; settles an in-flight step on resume.",
    ),
    (
        "steps",
        "point_of_no_return",
        "Once this step succeeded, rollback never crosses it.",
    ),
    (
        "steps",
        "needs",
        "Step ids this step waits for; steps whose needs are met run concurrently.",
    ),
    (
        "steps",
        "become",
        "Run as another account (sudo/su, see the inventory's `become*` keys); overrides the inventory's `become`.",
    ),
    (
        "steps",
        "become_user",
        "Account to run as (overrides the inventory's `become_user`); on its own it implies `become: true`.",
    ),
    (
        "steps",
        "include",
        "File holding a list of steps, relative to the including file.",
    ),
    (
        "steps",
        "loop",
        "Run the step once per item of this list ({{ item }}).",
    ),
    (
        "steps",
        "loop_var",
        "Name of the loop variable instead of `item`.",
    ),
    // Settings (defaults: and steps).
    (
        "",
        "timeout",
        "Per command (default 10m); on an `until` step the whole polling window.",
    ),
    (
        "",
        "on_failure",
        "After a failure: rollback (default; undo completed steps newest first), abort, or continue.",
    ),
    ("", "retries", "Extra attempts after the first (default 0)."),
    ("", "retry_delay", "Pause between attempts (default 1s)."),
    ("", "interval", "Pause between `until` polls (default 1s)."),
    (
        "",
        "idempotent",
        "Safe to re-run: a step left in flight by a crash is re-run on resume without asking (default false).",
    ),
    (
        "",
        "serial",
        "Rolling: at most this many hosts (a count or \"N%\") at once; no further host starts after a failure.",
    ),
    (
        "",
        "attempt_timeout",
        "Timeout of one `until` attempt, within the whole `timeout`.",
    ),
    (
        "",
        "max_interval",
        "Upper bound of a growing `until` interval (backoff).",
    ),
    // expect: / until: / check:
    ("", "exit", "Accepted exit code or list of codes."),
    (
        "",
        "stdout",
        "Trimmed stdout must equal this (compared literally).",
    ),
    (
        "",
        "contains",
        "Stdout must contain this (compared literally).",
    ),
    ("", "regex", "Stdout must match this regular expression."),
    // upload: / download:
    (
        "",
        "src",
        "Source path (upload: on the controller; download: on the host).",
    ),
    (
        "",
        "dest",
        "Destination path (upload: on the host; download: on the controller).",
    ),
    (
        "",
        "mode",
        "Octal permission bits of the written file, e.g. \"0640\".",
    ),
    // A variable.
    ("vars", "value", "The value."),
    (
        "vars",
        "env",
        "Read from this environment variable of the controller at run time.",
    ),
    (
        "vars",
        "default",
        "Value when the environment variable is unset.",
    ),
    (
        "vars",
        "secret",
        "Masked in the plan, logs, journal, audit chain and reports.",
    ),
];
