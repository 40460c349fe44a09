//! `drctl approve RUN_ID STEP` / `drctl decline RUN_ID STEP --reason TEXT`: answer a gate
//! a run waits at (`--gate-wait`) from another terminal. The answer goes through the state
//! store (the same `--state-dir` or `--state etcd://`); the waiting run reads it within
//! about a second, journals and audits it, and goes on (or, declined, rolls back).
//!
//! Refused (exit 4) when the run is not waiting at that gate (never there, already past
//! it, ended, its wait expired, its process gone) or when the same person already approved
//! it; an unknown run is a usage error (exit 2).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use drctl_core::Exit;
use drctl_core::gate::{GateAnswer, Identity, Verdict};
use drctl_core::record::{Loaded, Record};
use drctl_core::store::{RunStore, StateError};

use super::args::AnswerArgs;
use super::context;
use crate::error::Failure;

/// Who is answering, from where.
pub fn identity() -> Identity {
    use std::os::unix::fs::MetadataExt;
    let tty = if std::io::stdin().is_terminal() {
        std::fs::read_link("/proc/self/fd/0")
            .ok()
            .map(|p| p.display().to_string())
    } else {
        None
    };
    Identity {
        user: drctl_transport::current_user(),
        sudo_user: std::env::var("SUDO_USER").ok().filter(|s| !s.is_empty()),
        uid: std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid()),
        host: drctl_state_fs::lock::hostname(),
        tty,
        pid: std::process::id(),
    }
}

/// The gate wait open at `step`: its `gate_wait` record's time, its end, and how many
/// persons it needs. `Err`: why the run is not waiting there.
fn open_wait(l: &Loaded, step: &str) -> Result<(String, Option<String>, u32), String> {
    let mut open = None;
    let mut passed = false;
    for r in &l.records {
        match r {
            Record::GateWait {
                t,
                step: s,
                approvers,
                until,
            } if s == step => open = Some((t.clone(), until.clone(), *approvers)),
            Record::Gate { step: s, .. } if s == step => {
                open = None;
                passed = true;
            }
            Record::Answer {
                step: s,
                verdict: Verdict::Decline,
                ..
            } if s == step => open = None,
            Record::RunEnd { outcome, .. } => {
                if open.take().is_some() || !passed {
                    return Err(format!(
                        "it is not running (it ended: {outcome}); `drctl resume {} --gate-wait DURATION` waits again",
                        l.header.run_id
                    ));
                }
                return Err(format!("it passed that gate and ended ({outcome})"));
            }
            _ => {}
        }
    }
    if passed && open.is_none() {
        return Err("that gate was already passed".into());
    }
    open.ok_or_else(|| "it has not reached that gate (or it is not a gate of this run)".into())
}

fn refused(run: &str, step: &str, why: impl std::fmt::Display) -> Failure {
    Failure::new(
        Exit::Refused,
        format!("run `{run}` is not waiting at gate `{step}`: {why}"),
    )
}

pub fn run(a: AnswerArgs, verdict: Verdict) -> anyhow::Result<Exit> {
    if verdict == Verdict::Decline && a.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(Failure::usage(
            "drctl decline needs --reason TEXT: say why (it is journaled, audited and reported)",
        )
        .into());
    }
    let store = context::store(a.state_dir.clone())?;
    let loaded = store.load_run(&a.run_id).map_err(|e| match e {
        StateError::NoSuchRun(_) => Failure::usage(format!(
            "no run `{}` in {} (see `drctl runs`)",
            a.run_id,
            store.location()
        )),
        other => Failure::usage(other.to_string()),
    })?;
    let (since, until, needed) =
        open_wait(&loaded, &a.step).map_err(|why| refused(&a.run_id, &a.step, why))?;
    if let Some(u) = &until
        && let (Some(end), Some(now)) = (
            drctl_core::time::ts_ms(u),
            drctl_core::time::ts_ms(&drctl_core::time::t()),
        )
        && now > end
    {
        return Err(refused(&a.run_id, &a.step, format!("its wait ended at {u}")).into());
    }
    match store.holder(&loaded.header.name) {
        Some(h) if h.run_id == a.run_id && h.alive => {}
        _ => {
            return Err(refused(
                &a.run_id,
                &a.step,
                "no live drctl holds the run (it stopped or crashed); `drctl resume` it",
            )
            .into());
        }
    }
    let me = identity();
    let posted = store
        .answers(&a.run_id)
        .map_err(|e| Failure::usage(e.to_string()))?;
    if verdict == Verdict::Approve
        && let Some(prev) = posted.iter().find(|p| {
            p.wait == since
                && p.step == a.step
                && p.verdict == Verdict::Approve
                && p.by.person() == me.person()
        })
    {
        return Err(refused(
            &a.run_id,
            &a.step,
            format!(
                "{} already approved it ({}); the same person twice counts once, it needs {needed} distinct persons",
                me.person(),
                prev.t
            ),
        )
        .into());
    }
    let answer = GateAnswer {
        t: drctl_core::time::t(),
        step: a.step.clone(),
        wait: since,
        verdict,
        by: me,
        reason: a.reason.clone(),
    };
    store
        .post_answer(&a.run_id, &answer)
        .map_err(|e| Failure::usage(format!("posting the answer: {e}")))?;
    println!("{}", acknowledged(store.as_ref(), &a, &answer, needed));
    Ok(Exit::Success)
}

/// Wait (a few seconds) for the run to journal the answer, and say what it made of it.
fn acknowledged(store: &dyn RunStore, a: &AnswerArgs, answer: &GateAnswer, needed: u32) -> String {
    let what = match answer.verdict {
        Verdict::Approve => "approved",
        Verdict::Decline => "declined",
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(l) = store.load_run(&a.run_id) {
            let mut count = 0;
            for r in &l.records {
                if let Record::Answer {
                    step,
                    counted,
                    verdict,
                    by,
                    t,
                    ..
                } = r
                    && step == &a.step
                {
                    if *verdict == Verdict::Approve && *counted {
                        count += 1;
                    }
                    if t == &answer.t && by.pid == answer.by.pid {
                        return match (answer.verdict, *counted) {
                            (Verdict::Decline, _) => format!(
                                "{what} gate `{}` of run `{}`: the run rolls back as its on_failure says",
                                a.step, a.run_id
                            ),
                            (_, true) if count >= needed => format!(
                                "{what} gate `{}` of run `{}`: the run goes on",
                                a.step, a.run_id
                            ),
                            (_, true) => format!(
                                "{what} gate `{}` of run `{}`: {count} of {needed} distinct approvers; it waits for more",
                                a.step, a.run_id
                            ),
                            (_, false) => format!(
                                "not counted: {} had already approved gate `{}`; the same person twice counts once",
                                answer.by.person(),
                                a.step
                            ),
                        };
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    format!(
        "{what} gate `{}` of run `{}`: recorded; the run has not picked it up yet (`drctl watch {}`)",
        a.step, a.run_id, a.run_id
    )
}
