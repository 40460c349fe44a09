//! Run one step (forward or rollback) on its hosts in parallel, bounded by `--forks` and
//! the step's `serial`, journaling each host's start and finish.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use drctl_core::Phase;
use drctl_core::record::Record;
use drctl_core::time::t;
use drctl_model::runbook::inventory::Host;

use super::Runner;
use crate::host::{HostJob, HostOutcome};
use drctl_core::events::{Event, HostReport};

/// The results of a step, by host name.
pub type StepResults = BTreeMap<String, HostOutcome>;

/// The last `lines` lines of `s`, and at most its last 4 KiB (a journal record stays small
/// whatever a command printed).
fn tail(s: &str, lines: usize) -> String {
    const MAX: usize = 4096;
    let v: Vec<&str> = s.lines().collect();
    let t = v[v.len().saturating_sub(lines)..].join("\n");
    if t.len() <= MAX {
        return t;
    }
    let mut cut = t.len() - MAX;
    while !t.is_char_boundary(cut) {
        cut += 1;
    }
    format!("…{}", &t[cut..])
}

impl Runner {
    /// Run step `idx` on `hosts`. Hosts not started because of Ctrl-C, or because a
    /// rolling (`serial`) step already failed on a host, are absent from the results.
    pub async fn fan_out(
        self: &Arc<Self>,
        idx: usize,
        hosts: Vec<Host>,
        phase: Phase,
    ) -> StepResults {
        let ps = &self.plan.steps[idx];
        let limit = ps.serial.unwrap_or(usize::MAX).min(self.opts.forks).max(1);
        let rolling = ps.serial.is_some();
        let sem = Arc::new(Semaphore::new(limit));
        let mut set = JoinSet::new();
        let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        for host in hosts {
            let permit = sem.clone().acquire_owned().await.expect("semaphore open");
            if self.opts.cancel.load(Ordering::SeqCst) || (rolling && failed.load(Ordering::SeqCst))
            {
                break;
            }
            let me = self.clone();
            let failed = failed.clone();
            set.spawn(async move {
                let name = host.name.clone();
                let job = me.clone();
                let out =
                    super::lanes::on_lane(&me.lanes, &name, move || job.run_host(idx, host, phase))
                        .await
                        .unwrap_or_else(|e| HostOutcome {
                            error: Some(format!("internal error: {e}")),
                            ..Default::default()
                        });
                if !out.ok {
                    failed.store(true, Ordering::SeqCst);
                }
                drop(permit);
                (name, out)
            });
        }
        let mut results = StepResults::new();
        while let Some(r) = set.join_next().await {
            if let Ok((name, out)) = r {
                results.insert(name, out);
            }
        }
        results
    }

    /// Blocking: journal start, run, journal finish, report.
    fn run_host(&self, idx: usize, host: Host, phase: Phase) -> HostOutcome {
        let ps = &self.plan.steps[idx];
        let step = ps.step.id.value.clone();
        let job = HostJob {
            plan: self.plan.clone(),
            step: idx,
            captures: self.captures_for(&host.name),
            host: host.clone(),
            phase,
            pool: self.pool.clone(),
            engine: self.engine.clone(),
            cancel: self.opts.cancel.clone(),
            epoch: self.opts.epoch,
        };
        if phase == Phase::Forward {
            match job.when() {
                Ok(true) => {}
                Ok(false) => {
                    let o = HostOutcome {
                        ok: true,
                        skipped: true,
                        ..Default::default()
                    };
                    self.report_host(&step, &host.name, phase, &o, std::time::Duration::ZERO);
                    return o;
                }
                Err(e) => {
                    let o = HostOutcome {
                        ok: false,
                        error: Some(e),
                        ..Default::default()
                    };
                    self.report_host(&step, &host.name, phase, &o, std::time::Duration::ZERO);
                    return o;
                }
            }
        }
        if let Err(e) = self.record(Record::Started {
            t: t(),
            step: step.clone(),
            host: host.name.clone(),
            phase,
        }) {
            return HostOutcome {
                ok: false,
                error: Some(format!("journal: {e}")),
                ..Default::default()
            };
        }
        let started = Instant::now();
        let mut out = job.run();
        let dur = started.elapsed();
        let m = &self.plan.masker;
        out.stdout = m.mask(&out.stdout);
        out.stderr = m.mask(&out.stderr);
        out.error = out.error.map(|e| m.mask(&e));
        let rec = Record::Finished {
            t: t(),
            step: step.clone(),
            host: host.name.clone(),
            phase,
            ok: out.ok,
            exit: out.exit,
            attempts: out.attempts,
            duration_ms: dur.as_millis() as u64,
            digest: out.digest(),
            error: out.error.clone(),
            stdout_tail: tail(&out.stdout, 20),
            stderr_tail: tail(&out.stderr, 20),
            // The journal keeps no secret: one inside a captured value is sealed.
            captured: out.captured.as_ref().map(|(k, v)| (k.clone(), m.seal(v))),
            command: Some(m.mask(&out.command)),
            in_doubt: out.in_doubt,
        };
        if let Err(e) = self.record(rec) {
            out.ok = false;
            out.error = Some(format!("journal: {e}"));
        }
        self.report_host(&step, &host.name, phase, &out, dur);
        out
    }

    fn report_host(
        &self,
        step: &str,
        host: &str,
        phase: Phase,
        o: &HostOutcome,
        duration: std::time::Duration,
    ) {
        self.sinks.event(&Event::HostDone(HostReport {
            step: step.to_string(),
            host: host.to_string(),
            phase,
            ok: o.ok,
            skipped: o.skipped,
            exit: o.exit,
            attempts: o.attempts,
            duration,
            error: o.error.clone(),
            stdout: o.stdout.clone(),
            stderr: o.stderr.clone(),
        }));
    }
}
