//! The operator's view of a run: indicatif progress on a terminal, plain timestamped lines
//! otherwise (cron, CI), and a summary of every step and host at the end.

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use drctl_core::Phase;
use drctl_core::events::{Event, EventSink, GateState, HostReport};
use drctl_model::runbook::duration::format_duration;

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    /// Each host's stdout/stderr too.
    Verbose,
}

struct StepLine {
    id: String,
    phase: Phase,
    ok: bool,
    duration: Duration,
    hosts: Vec<HostReport>,
}

/// Console reporter.
pub struct Console {
    verbosity: Verbosity,
    bars: Option<MultiProgress>,
    current: Mutex<Option<(ProgressBar, usize, usize, usize)>>,
    steps: Mutex<Vec<StepLine>>,
    log: Option<Mutex<std::fs::File>>,
}

fn stamp() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

impl Console {
    pub fn new(verbosity: Verbosity, progress: bool, log: Option<std::fs::File>) -> Self {
        let bars = progress.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Self {
            verbosity,
            bars,
            current: Mutex::new(None),
            steps: Mutex::new(Vec::new()),
            log: log.map(Mutex::new),
        }
    }

    /// Print a line: above the bars on a terminal, timestamped otherwise; and to the log file.
    fn line(&self, text: &str) {
        self.emit(text, false);
    }

    /// Like [`Console::line`], but shown even with `--quiet`: the final line and failures.
    fn important(&self, text: &str) {
        self.emit(text, true);
    }

    /// Every line reaches the terminal and the log file through here, with the terminal
    /// controls a host's output may carry neutralised.
    fn emit(&self, text: &str, important: bool) {
        let text = &*crate::sanitize::neutralize(text);
        if let Some(f) = &self.log {
            let _ = writeln!(f.lock().expect("log"), "{} {text}", stamp());
        }
        if self.verbosity == Verbosity::Quiet && !important {
            return;
        }
        match &self.bars {
            Some(b) => {
                let _ = b.println(text);
            }
            // A terminal that went away (SIGHUP) must not turn a line into a panic.
            None => {
                let _ = writeln!(std::io::stderr(), "{} {text}", stamp());
            }
        }
    }

    fn host_line(&self, h: &HostReport) -> String {
        let what = if h.phase == Phase::Rollback {
            "rollback "
        } else {
            ""
        };
        if h.skipped {
            return format!(
                "  {what}{} on {}: skipped (`when` is false)",
                h.step, h.host
            );
        }
        let status = if h.ok {
            match crate::formats::transfer_rate(&h.stdout) {
                Some(r) => format!("ok, {r}"),
                None => "ok".to_string(),
            }
        } else {
            format!("FAILED: {}", h.error.clone().unwrap_or_default())
        };
        let retries = if h.attempts > 1 {
            format!(", {} attempts", h.attempts)
        } else {
            String::new()
        };
        format!(
            "  {what}{} on {}: {status} ({}{retries})",
            h.step,
            h.host,
            format_duration(h.duration)
        )
    }

    fn summary(&self) -> String {
        let steps = self.steps.lock().expect("steps");
        let mut o = String::from("\nsummary:\n");
        for s in steps.iter() {
            let tag = if s.phase == Phase::Rollback {
                "rollback "
            } else {
                ""
            };
            let mark = if s.ok { "ok    " } else { "FAILED" };
            o.push_str(&format!(
                "  {mark} {:<36} {:>8}  ",
                format!("{tag}{}", s.id),
                format_duration(s.duration)
            ));
            let hosts: Vec<String> = s
                .hosts
                .iter()
                .map(|h| {
                    format!(
                        "{}={}",
                        h.host,
                        if h.skipped {
                            "skip"
                        } else if h.ok {
                            "ok"
                        } else {
                            "failed"
                        }
                    )
                })
                .collect();
            o.push_str(&hosts.join(" "));
            o.push('\n');
        }
        o
    }
}

impl EventSink for Console {
    fn event(&self, e: &Event) {
        match e {
            Event::RunStarted {
                run_id,
                name,
                kind,
                mode,
                steps,
                resumed,
            } => {
                let verb = if *resumed { "resuming" } else { "starting" };
                self.line(&format!(
                    "{verb} {mode} of {name} ({kind}, {steps} steps), run id {run_id}"
                ));
            }
            Event::StepStarted {
                id,
                title,
                hosts,
                run_phase,
                ..
            } => {
                let what = if *run_phase == Phase::Rollback {
                    "rolling back"
                } else {
                    "step"
                };
                let t = if title != id {
                    format!(" ({title})")
                } else {
                    String::new()
                };
                if let Some(b) = &self.bars {
                    let pb = b.add(ProgressBar::new(hosts.len() as u64));
                    pb.set_style(
                        ProgressStyle::with_template(
                            "{spinner} {msg} [{elapsed}] {pos}/{len} hosts",
                        )
                        .expect("template"),
                    );
                    pb.set_message(format!("{what} {id}{t}"));
                    pb.enable_steady_tick(Duration::from_millis(120));
                    *self.current.lock().expect("bar") = Some((pb, 0, 0, hosts.len()));
                } else {
                    self.line(&format!("{what} {id}{t} on {}", hosts.join(", ")));
                }
                self.steps.lock().expect("steps").push(StepLine {
                    id: id.clone(),
                    phase: *run_phase,
                    ok: true,
                    duration: Duration::ZERO,
                    hosts: Vec::new(),
                });
            }
            Event::HostDone(h) => {
                if let Some(s) = self
                    .steps
                    .lock()
                    .expect("steps")
                    .iter_mut()
                    .rev()
                    .find(|s| s.id == h.step && s.phase == h.phase)
                {
                    s.hosts.push(h.clone());
                }
                if let Some((pb, done, failed, _)) = self.current.lock().expect("bar").as_mut() {
                    *done += 1;
                    if !h.ok {
                        *failed += 1;
                    }
                    pb.set_position(*done as u64);
                }
                if self.bars.is_none() || !h.ok || self.verbosity == Verbosity::Verbose {
                    self.line(&self.host_line(h));
                }
                if !h.ok && !h.stderr.trim().is_empty() {
                    let lines: Vec<&str> = h.stderr.trim_end().lines().collect();
                    for l in &lines[lines.len().saturating_sub(5)..] {
                        self.line(&format!("    {} stderr| {l}", h.host));
                    }
                }
                if self.verbosity == Verbosity::Verbose {
                    for l in h.stdout.lines() {
                        self.line(&format!("    {} stdout| {l}", h.host));
                    }
                    if h.ok {
                        for l in h.stderr.lines() {
                            self.line(&format!("    {} stderr| {l}", h.host));
                        }
                    }
                }
            }
            Event::StepFinished {
                id,
                ok,
                failed,
                duration,
                run_phase,
            } => {
                if let Some((pb, ..)) = self.current.lock().expect("bar").take() {
                    pb.finish_and_clear();
                }
                if let Some(s) = self
                    .steps
                    .lock()
                    .expect("steps")
                    .iter_mut()
                    .rev()
                    .find(|s| &s.id == id && s.phase == *run_phase)
                {
                    s.ok = *ok;
                    s.duration = *duration;
                }
                let what = if *run_phase == Phase::Rollback {
                    "rollback of "
                } else {
                    ""
                };
                if *ok {
                    self.line(&format!("{what}{id}: ok in {}", format_duration(*duration)));
                } else {
                    self.important(&format!(
                        "{what}{id}: FAILED on {} after {}",
                        failed.join(", "),
                        format_duration(*duration)
                    ));
                }
            }
            Event::StepSkipped { id, reason } => {
                self.line(&format!("step {id}: skipped ({reason})"))
            }
            Event::Gate { id, message, state } => match state {
                GateState::Waiting => {
                    self.line(&format!("gate {id}: \"{message}\" waiting for approval"))
                }
                GateState::Approved { by } => {
                    self.line(&format!("gate {id}: \"{message}\" approved by {by}"))
                }
                GateState::NotApproved => {
                    self.line(&format!("gate {id}: \"{message}\" NOT approved"))
                }
            },
            Event::RollbackStarted { reason } => self.line(&format!("ROLLING BACK: {reason}")),
            Event::Message { text } => self.line(text),
            Event::RunFinished {
                outcome,
                exit,
                duration,
                message,
            } => {
                if self.verbosity != Verbosity::Quiet {
                    let _ = write!(
                        std::io::stderr(),
                        "{}",
                        crate::sanitize::neutralize(&self.summary())
                    );
                }
                self.important(&format!(
                    "{outcome} in {} (exit {exit}): {message}",
                    format_duration(*duration)
                ));
            }
        }
    }

    fn suspend(&self, f: &mut dyn FnMut()) {
        match &self.bars {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }
}
