//! `drctl validate`: find runbooks, parse them with their inventories, apply every rule,
//! and return all diagnostics of all files in one pass.

pub mod inventory_names;
pub mod privilege;
pub mod rules;
pub mod templates;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Severity};
use crate::runbook::inventory::{Inventory, resolve_path};
use crate::runbook::model::Runbook;
use crate::runbook::source::Span;
use crate::runbook::{load_inventory, load_runbook, source::SourceFile};

/// The outcome of validating one or more paths.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

/// Whether a YAML file is a runbook: its first key is `drctl:`.
pub fn looks_like_runbook(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#') && *l != "---")
        .is_some_and(|l| l.starts_with("drctl:"))
}

/// Expand paths: files as given, folders recursively to `*.yaml`/`*.yml` runbooks.
pub fn collect(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut diags = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            let mut yaml = 0;
            walk(p, &mut found, &mut yaml);
            found.sort();
            if found.is_empty() {
                let f = SourceFile::new(p, "");
                diags.push(
                    Diagnostic::error(
                        &f,
                        Span::default(),
                        "no-runbook",
                        if yaml == 0 {
                            format!("{}: no runbook found: the folder holds no `*.yaml`/`*.yml` file", p.display())
                        } else {
                            format!("{}: no runbook found: none of its {yaml} YAML file(s) starts with `drctl:`", p.display())
                        },
                    )
                    .hint("nothing was checked; give the folder of your runbooks, or a runbook file"),
                );
            }
            files.extend(found);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            let f = SourceFile::new(p, "");
            diags.push(
                Diagnostic::error(
                    &f,
                    Span::default(),
                    "not-found",
                    format!("{} does not exist", p.display()),
                )
                .hint("give a runbook file or a folder of runbooks"),
            );
        }
    }
    (files, diags)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, yaml: &mut usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(&p, out, yaml);
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
            && {
                *yaml += 1;
                true
            }
            && let Ok(bytes) = std::fs::read(&p)
            && looks_like_runbook(&String::from_utf8_lossy(&bytes))
        {
            out.push(p);
        }
    }
}

/// Caches inventories so one shared by many runbooks is parsed and reported once.
#[derive(Default)]
pub struct InventoryCache {
    loaded: HashMap<PathBuf, Inventory>,
}

impl InventoryCache {
    /// The inventory a runbook uses: `-i` if given, else its `inventory:` field.
    /// Inventory problems are appended to `out` the first time the file is loaded.
    pub fn for_runbook(
        &mut self,
        rb: &Runbook,
        override_path: Option<&Path>,
        out: &mut Vec<Diagnostic>,
    ) -> Option<Inventory> {
        let path = match (override_path, &rb.inventory) {
            (Some(p), _) => p.to_path_buf(),
            (None, Some(i)) => {
                let p = resolve_path(&i.value, rb.file.dir());
                if !p.is_file() {
                    out.push(
                        Diagnostic::error(
                            &rb.file,
                            i.span,
                            "missing-inventory",
                            format!("inventory `{}` does not exist", i.value),
                        )
                        .hint(format!(
                            "looked for {} (relative to the runbook); or pass -i",
                            p.display()
                        )),
                    );
                    return None;
                }
                p
            }
            (None, None) => return None,
        };
        let key = path.canonicalize().unwrap_or(path.clone());
        if let Some(inv) = self.loaded.get(&key) {
            return Some(inv.clone());
        }
        let (inv, diags) = load_inventory(&path);
        out.extend(diags);
        self.loaded.insert(key, inv.clone());
        Some(inv)
    }
}

/// Check a parsed runbook against its inventory; appends diagnostics.
pub fn check_runbook(
    rb: &Runbook,
    inv: Option<&Inventory>,
    extra_vars: &BTreeSet<String>,
    out: &mut Vec<Diagnostic>,
) {
    rules::known_targets(rb, inv, out);
    rules::upload_sources(rb, out);
    rules::download_collisions(rb, inv, out);
    rules::language(rb, out);
    rules::needs(rb, out);
    rules::blank_commands(rb, out);
    rules::templates_in_checks(rb, out);
    privilege::become_rules(rb, inv, out);
    templates::check(rb, inv, extra_vars, out);
    rules::warnings(rb, out);
}

/// Parse and check one runbook held in memory (fuzzing, benchmarks, editors): every
/// problem, in source order.
pub fn check_source(
    file: &std::sync::Arc<crate::runbook::source::SourceFile>,
    inv: Option<&Inventory>,
    extra_vars: &BTreeSet<String>,
) -> Vec<Diagnostic> {
    let (rb, mut out) = crate::runbook::parse::parse_runbook(file);
    if let Some(rb) = rb {
        check_runbook(&rb, inv, extra_vars, &mut out);
    }
    out.sort_by_key(|d| (d.span.line, d.span.col));
    out
}

/// Validate paths (files or folders), collecting every problem of every file.
pub fn validate_paths(
    paths: &[PathBuf],
    inventory: Option<&Path>,
    extra_vars: &BTreeSet<String>,
) -> Report {
    let (files, mut diagnostics) = collect(paths);
    let mut cache = InventoryCache::default();
    for f in &files {
        let (rb, diags) = load_runbook(f);
        diagnostics.extend(diags);
        if let Some(rb) = rb {
            let inv = cache.for_runbook(&rb, inventory, &mut diagnostics);
            check_runbook(&rb, inv.as_ref(), extra_vars, &mut diagnostics);
        }
    }
    // Stable order: by file, then position; errors before warnings at the same place.
    diagnostics.sort_by(|a, b| {
        (a.file.display(), a.span.line, a.span.col).cmp(&(
            b.file.display(),
            b.span.line,
            b.span.col,
        ))
    });
    diagnostics.dedup_by(|a, b| a.location() == b.location() && a.message == b.message);
    Report { files, diagnostics }
}
