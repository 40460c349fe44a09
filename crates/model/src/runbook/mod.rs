//! Runbooks and inventories: reading files, the spanned YAML tree, and the typed model.

pub mod ansible;
pub mod become_keys;
pub mod duration;
pub mod inventory;
pub mod inventory_vars;
pub mod model;
pub mod parse;
pub mod proxy_jump;
pub mod reach;
pub mod reader;
pub mod source;
pub mod ssh_config;
pub mod yaml;

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use source::{SourceFile, Span};

/// Read a file as UTF-8 text; a read failure or invalid UTF-8 becomes a diagnostic with
/// the position of the first bad byte.
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|e| {
        let empty = SourceFile::new(path, "");
        Diagnostic::error(
            &empty,
            Span::default(),
            "unreadable",
            format!("cannot read {}: {e}", path.display()),
        )
        .hint("check the path and its permissions")
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(path, text)),
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..good]).into_owned();
            let line = prefix.matches('\n').count() + 1;
            let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let file = SourceFile::new(path, lossy);
            Err(Diagnostic::error(
                &file,
                Span::new(line, col, 1),
                "not-utf8",
                "the file is not valid UTF-8",
            )
            .hint("save the file as UTF-8"))
        }
    }
}

/// Load and parse a runbook file.
pub fn load_runbook(path: &Path) -> (Option<model::Runbook>, Vec<Diagnostic>) {
    match read_source(path) {
        // Neither `drctl:` nor `steps:` at the top level: not a runbook at all (a secrets
        // file named by mistake, say). One diagnostic naming the file; no line is quoted.
        Ok(file)
            if !file
                .text
                .lines()
                .any(|l| l.starts_with("drctl:") || l.starts_with("steps:")) =>
        {
            let blind = source::SourceFile::new(&file.path, "");
            let d = Diagnostic::error(
                &blind,
                source::Span::default(),
                "not-a-runbook",
                format!(
                    "{} is not a runbook: no top-level `drctl:` or `steps:` (its contents are not shown)",
                    file.path.display()
                ),
            )
            .hint("a runbook starts with `drctl: 1`; check the path");
            (None, vec![d])
        }
        Ok(file) => parse::parse_runbook(&file),
        Err(d) => (None, vec![d]),
    }
}

/// Load and parse an inventory file.
pub fn load_inventory(path: &Path) -> (inventory::Inventory, Vec<Diagnostic>) {
    match read_source(path) {
        Ok(file) => inventory::parse_inventory(&file),
        // Not text: never quote it (it may be a key or any other file named by mistake).
        Err(d) if d.code == "not-utf8" => (
            inventory::Inventory::default(),
            vec![inventory::not_an_inventory(&d.file)],
        ),
        Err(d) => (inventory::Inventory::default(), vec![d]),
    }
}
