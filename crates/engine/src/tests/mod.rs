//! Engine unit tests on the scripted fake transport: order, rollback, retries, polling,
//! captures, failure policies, drills, gates, resume decisions, masking, concurrency.
//! (The same behaviours against real sshd hosts are in tests/ssh_*.rs.)

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use drctl_core::checkpoint::Checkpoint;
use drctl_core::memory::MemoryLog;
use drctl_core::record::{Header, JOURNAL_VERSION, Loaded, Record};
use drctl_core::store::RunLog;
use drctl_core::time::now_rfc3339;
use drctl_core::{Exit, Phase};
use drctl_model::plan::{PlanOptions, RunMode, resolve};
use drctl_model::runbook::inventory::parse_inventory;
use drctl_model::runbook::parse::parse_runbook;
use drctl_model::runbook::source::SourceFile;
use drctl_transport::fake::FakeConnector;
use drctl_transport::{Output, TransportError};

use crate::approval::{Approver, NoApprover, PresetApprover};
use crate::runner::{Runner, Start};
use crate::{ExecOptions, RunOutcome};

const INV: &str = "hosts:\n  a: { addr: 10.0.0.1 }\n  b: { addr: 10.0.0.2 }\n  c: { addr: 10.0.0.3 }\ngroups:\n  all: [a, b, c]\n";

struct Run {
    outcome: RunOutcome,
    calls: Vec<String>,
    journal: Loaded,
    log: Arc<MemoryLog>,
}

fn loaded(log: &MemoryLog) -> Loaded {
    let records = log.records();
    let Some(Record::Header(header)) = records.first().cloned() else {
        panic!("no header");
    };
    Loaded {
        header,
        records,
        torn_tail: false,
    }
}

fn header(mode: RunMode) -> Header {
    Header {
        version: JOURNAL_VERSION,
        run_id: "t-1".into(),
        runbook: "rb.yaml".into(),
        runbook_sha256: String::new(),
        name: "t".into(),
        kind: "failover".into(),
        mode,
        severity: None,
        started_at: now_rfc3339(),
        user: "tester".into(),
        sudo_user: None,
        drctl_version: None,
        controller: "here".into(),
        pid: 1,
        inventory: None,
        vars: BTreeMap::new(),
        limit: None,
        rto_ms: None,
    }
}

fn plan(rb: &str, mode: RunMode) -> drctl_model::plan::Plan {
    plan_with_id(rb, mode, "t-1")
}

fn plan_with_id(rb: &str, mode: RunMode, run_id: &str) -> drctl_model::plan::Plan {
    let (rb, diags) = parse_runbook(&SourceFile::new("/t/rb.yaml", rb));
    let rb = rb.unwrap_or_else(|| panic!("{diags:?}"));
    let (inv, diags) = parse_inventory(&SourceFile::new("/t/inv.yaml", INV));
    assert!(diags.is_empty(), "{diags:?}");
    let opts = PlanOptions {
        mode,
        run_id: run_id.into(),
        limit: None,
        extra_vars: BTreeMap::new(),
    };
    let env = |k: &str| (k == "SECRET").then(|| "hunter2".to_string());
    resolve(Arc::new(rb), inv, &opts, &env).expect("plan")
}

fn exec(
    rb: &str,
    mode: RunMode,
    opts: ExecOptions,
    fake: &FakeConnector,
    log: Option<Arc<MemoryLog>>,
) -> Run {
    exec_with(rb, mode, opts, Arc::new(NoApprover), fake, log)
}

fn exec_with(
    rb: &str,
    mode: RunMode,
    opts: ExecOptions,
    approver: Arc<dyn Approver>,
    fake: &FakeConnector,
    log: Option<Arc<MemoryLog>>,
) -> Run {
    let start = if log.is_some() {
        Start::Resumed
    } else {
        Start::New
    };
    let log = log.unwrap_or_else(|| {
        let l = Arc::new(MemoryLog::default());
        l.append(&Record::Header(header(mode))).unwrap();
        l
    });
    let cp = Checkpoint::from_journal(&loaded(&log));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runner = Runner::builder(
        Arc::new(plan(rb, mode)),
        Arc::new(fake.clone()),
        log.clone(),
    )
    .checkpoint(cp)
    .options(opts)
    .approver(approver)
    .build();
    let outcome = rt.block_on(runner.run(start));
    Run {
        outcome,
        calls: fake.calls(),
        journal: loaded(&log),
        log,
    }
}

fn ok(stdout: &str) -> Result<Output, TransportError> {
    Ok(Output {
        exit: 0,
        stdout: stdout.into(),
        stderr: String::new(),
        ..Default::default()
    })
}

fn fail(code: i32) -> Result<Output, TransportError> {
    Ok(Output {
        exit: code,
        stdout: String::new(),
        stderr: "boom".into(),
        ..Default::default()
    })
}

/// The calls to one host, in order.
fn on(calls: &[String], host: &str) -> Vec<String> {
    let p = format!("{host}: ");
    calls
        .iter()
        .filter_map(|c| c.strip_prefix(&p).map(str::to_string))
        .collect()
}

const THREE: &str = "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: s1\n    on: all\n    run: do-1\n    rollback: undo-1\n  - id: s2\n    on: all\n    run: do-2\n    rollback: undo-2\n  - id: s3\n    on: all\n    run: do-3\n    rollback: undo-3\n";

/// A journal that stops with `s2` started on every host and finished on none: a crash.
fn crashed_in_s2(rb: &str) -> Arc<MemoryLog> {
    let j = Arc::new(MemoryLog::default());
    j.append(&Record::Header(header(RunMode::Run))).unwrap();
    let _ = plan(rb, RunMode::Run);
    for (step, finish) in [("s1", true), ("s2", false)] {
        for h in ["a", "b", "c"] {
            let t = now_rfc3339();
            j.append(&Record::Started {
                t: t.clone(),
                step: step.into(),
                host: h.into(),
                phase: Phase::Forward,
            })
            .unwrap();
            if finish {
                j.append(&finished_ok(&t, step, h)).unwrap();
            }
        }
    }
    j.append(&Record::StepEnd {
        t: now_rfc3339(),
        step: "s1".into(),
        phase: Phase::Forward,
        ok: true,
        failed_hosts: vec![],
        duration_ms: 1,
    })
    .unwrap();
    j
}

/// A forward command that finished well, as the journal records it.
fn finished_ok(t: &str, step: &str, host: &str) -> Record {
    Record::Finished {
        t: t.into(),
        step: step.into(),
        host: host.into(),
        phase: Phase::Forward,
        ok: true,
        exit: Some(0),
        attempts: 1,
        duration_ms: 1,
        digest: String::new(),
        error: None,
        stdout_tail: String::new(),
        stderr_tail: String::new(),
        captured: None,
        command: None,
        in_doubt: false,
    }
}

mod language;
mod resume;
mod run;
mod trust;
