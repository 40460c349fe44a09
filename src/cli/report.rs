//! `drctl report`, and the reports written at the end of a run (`--report-dir`, the drill's
//! closing summary).

use std::path::Path;

use crate::error::{Exit, Failure};
use crate::report::after_action::RunReport;
use crate::report::formats::{ReportFormat, summary};
use crate::state::{StateDir, journal};

use super::args::{ReportArgs, ReportFormatArg};

/// Build the report of a stored run.
fn build(state: &StateDir, id: &str) -> Result<RunReport, Failure> {
    let dir = state.run(id);
    if !dir.is_dir() {
        return Err(
            Failure::usage(format!("no run `{id}` in {}", state.runs().display()))
                .hint("`drctl runs` lists runs"),
        );
    }
    let l = journal::load(&dir).map_err(|e| Failure::usage(e.to_string()))?;
    Ok(RunReport::build(&dir, &l))
}

pub fn run(a: ReportArgs) -> anyhow::Result<Exit> {
    let state = StateDir::resolve(a.state_dir);
    let id = match a.run_id {
        Some(id) => id,
        None => super::status::latest_run(&state).ok_or_else(|| Failure::usage("no runs yet"))?,
    };
    let r = build(&state, &id)?;
    let format = match a.format {
        ReportFormatArg::Md => ReportFormat::Markdown,
        ReportFormatArg::Json => ReportFormat::Json,
        ReportFormatArg::Junit => ReportFormat::Junit,
        ReportFormatArg::Prom => ReportFormat::Prom,
    };
    let text = format.render(&r);
    match a.output {
        Some(path) => crate::state::write_atomic_mode(&path, text.as_bytes(), 0o644)
            .map_err(|e| Failure::usage(e.to_string()))?,
        None => print!("{text}"),
    }
    Ok(Exit::Success)
}

/// After a run: write every report format into `dir` (if given); print the summary when
/// `show` (drills end with it, so the operator sees the verdict, phases and what is left).
pub fn after_run(
    state: &StateDir,
    run_id: &str,
    dir: Option<&Path>,
    show: bool,
) -> Result<(), Failure> {
    let r = build(state, run_id)?;
    if show {
        eprint!("\n{}", summary(&r));
    }
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::usage(format!("report dir {}: {e}", dir.display())))?;
        for f in ReportFormat::ALL {
            let path = dir.join(f.file_name(&r.name));
            crate::state::write_atomic_mode(&path, f.render(&r).as_bytes(), 0o644)
                .map_err(|e| Failure::usage(e.to_string()))?;
        }
        if show {
            eprintln!("  reports written to {}", dir.display());
        }
    }
    Ok(())
}
