//! `drctl report`, and the reports written at the end of a run (`--report-dir`, the drill's
//! closing summary).

use std::path::Path;

use drctl_core::store::RunStore;
use drctl_report::after_action::RunReport;
use drctl_report::formats::{ReportFormat, summary};
use drctl_state_fs::write_atomic_mode;

use super::args::{ExecArgs, ReportArgs, ReportFormatArg};
use crate::error::{Exit, Failure};

/// Build the report of a stored run.
fn build(store: &dyn RunStore, id: &str) -> Result<RunReport, Failure> {
    let l = super::status::load(store, id)?;
    Ok(RunReport::build(
        store.saved_runbook(id).ok().as_deref(),
        &l,
    ))
}

/// Make sure `--report-dir` can be written before the run starts: a run must not end in a
/// usage error after it has executed something.
pub fn prepare_dir(dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .and_then(|_| tempfile::NamedTempFile::new_in(dir).map(drop))
        .map_err(|e| {
            Failure::usage(format!("--report-dir {}: {e}", dir.display()))
                .hint("nothing was executed; give a directory drctl can write")
        })
}

pub fn run(a: ReportArgs) -> anyhow::Result<Exit> {
    let store = super::context::store(a.state_dir)?;
    let id = match a.run_id {
        Some(id) => id,
        None => super::status::latest_run(&*store).ok_or_else(|| Failure::usage("no runs yet"))?,
    };
    let r = build(&*store, &id)?;
    let format = match a.format {
        ReportFormatArg::Md => ReportFormat::Markdown,
        ReportFormatArg::Json => ReportFormat::Json,
        ReportFormatArg::Junit => ReportFormat::Junit,
        ReportFormatArg::Prom => ReportFormat::Prom,
        ReportFormatArg::Html => ReportFormat::Html,
    };
    let text = format.render(&r);
    match a.output {
        Some(path) => write_atomic_mode(&path, text.as_bytes(), 0o644)
            .map_err(|e| Failure::usage(e.to_string()))?,
        None => print!("{text}"),
    }
    Ok(Exit::Success)
}

/// After a run: write every report format into `dir` (if given); print the summary when
/// `show` (drills end with it, so the operator sees the verdict, phases and what is left).
/// Nothing here can change the run's exit code.
pub fn after_run(e: &ExecArgs, run_id: &str, show: bool) {
    let dir = e.report_dir.as_deref();
    let store = match super::context::store(e.state_dir.clone()) {
        Ok(s) => s,
        Err(e) => return eprintln!("warning: no report: {e}"),
    };
    let r = match build(&*store, run_id) {
        Ok(r) => r,
        Err(e) => return eprintln!("warning: no report: {e}"),
    };
    if show {
        eprint!("\n{}", drctl_report::sanitize::neutralize(&summary(&r)));
    }
    if let Some(dir) = dir {
        // The run is over: a report that cannot be written is a warning, never a change
        // of the run's exit code (cron and CI judge the run by it).
        let written = ReportFormat::ALL.iter().try_for_each(|f| {
            let path = dir.join(f.file_name(&r.name));
            write_atomic_mode(&path, f.render(&r).as_bytes(), 0o644)
        });
        match written {
            Ok(()) if show => eprintln!("  reports written to {}", dir.display()),
            Ok(()) => {}
            Err(e) => eprintln!("warning: reports not written: {e}"),
        }
    }
}
