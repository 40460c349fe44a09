//! `drctl validate`: report every problem of every runbook, as text, short lines or JSON.

use crate::diagnostic::JsonDiagnostic;
use crate::error::Exit;
use crate::validate::validate_paths;

use super::args::{Format, ValidateArgs};

pub fn run(a: ValidateArgs, color: bool) -> anyhow::Result<Exit> {
    let names = drctl_engine::session::parse_vars(&a.vars)
        .map_err(super::context::failure)?
        .into_keys()
        .collect();
    let report = validate_paths(&a.paths, a.inventory.as_deref(), &names);
    let failed = report.errors() > 0 || (a.strict && report.warnings() > 0);
    match a.format {
        Format::Json => {
            let out = serde_json::json!({
                "valid": !failed,
                "files": report.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "errors": report.errors(),
                "warnings": report.warnings(),
                "diagnostics": report.diagnostics.iter().map(JsonDiagnostic::from).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Short => {
            for d in &report.diagnostics {
                println!("{}", d.short());
            }
        }
        Format::Text => {
            for d in &report.diagnostics {
                println!("{}\n", d.render(color));
            }
            let n = report.files.len();
            let files = if n == 1 {
                "runbook".to_string()
            } else {
                "runbooks".to_string()
            };
            if failed {
                println!(
                    "{n} {files} checked: {} error(s), {} warning(s)",
                    report.errors(),
                    report.warnings()
                );
            } else {
                println!("{n} {files} valid ({} warning(s))", report.warnings());
            }
        }
    }
    Ok(if failed { Exit::Usage } else { Exit::Success })
}
