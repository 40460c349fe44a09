//! `- include: FILE` items of `steps:`: the steps another file lists, recursively, each
//! parsed against its own file so that diagnostics keep that file's lines and columns.

use crate::diagnostic::Diagnostic;
use crate::runbook::model::*;
use crate::runbook::reader::Reader;
use crate::runbook::yaml::{self, Budget, Kind, Node};

/// A path as the file system resolves it (includes are compared so, to find cycles).
pub(super) fn canonical(p: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The node of an `- include: FILE` item.
pub(super) fn include_of(n: &Node) -> Option<&Node> {
    match &n.kind {
        Kind::Map(items) => items
            .iter()
            .find(|(k, _)| k.as_str() == Some("include"))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// The steps of a `steps:` list, each `- include: FILE` replaced by the steps that file
/// lists (a path relative to the including file), recursively; a cycle is refused.
/// Diagnostics of an included file name that file, with its own lines and columns.
pub(super) fn steps_of(
    r: &mut Reader,
    items: &[Node],
    stack: &mut Vec<std::path::PathBuf>,
    out: &mut Vec<Step>,
) {
    for (i, item) in items.iter().enumerate() {
        let Some(inc) = include_of(item) else {
            if let Some(s) = super::step::step(r, item, i) {
                out.push(s);
            }
            continue;
        };
        if let Kind::Map(keys) = &item.kind
            && keys.len() > 1
        {
            r.error(
                item,
                "include-with-keys",
                "an `include:` item takes no other keys",
            )
            .hint = Some("write `- include: FILE` on its own; the file lists the steps".into());
        }
        let Some(rel) = r.string(inc, "include") else {
            continue;
        };
        let path = crate::runbook::inventory::resolve_path(&rel.value, r.file.dir());
        let key = canonical(&path);
        if stack.contains(&key) {
            r.error(
                inc,
                "include-cycle",
                format!(
                    "`{}` includes itself (through {} file(s))",
                    rel.value,
                    stack.len()
                ),
            )
            .hint = Some("break the cycle: a file may not include a file that includes it".into());
            continue;
        }
        let file = match crate::runbook::read_source(&path) {
            Ok(f) => f,
            Err(_) => {
                r.error(
                    inc,
                    "missing-include",
                    format!("cannot read `{}`", path.display()),
                )
                .hint = Some("paths are relative to the including file".into());
                continue;
            }
        };
        match yaml::load(&file, Budget::default()) {
            Err(d) => r.diags.push(d),
            Ok(None) => {
                r.error(inc, "empty-include", format!("`{}` is empty", rel.value));
            }
            Ok(Some(root)) => match &root.kind {
                Kind::Seq(sub) => {
                    let mut sr = Reader::new(file.clone());
                    stack.push(key);
                    steps_of(&mut sr, sub, stack, out);
                    stack.pop();
                    r.diags.extend(sr.diags);
                }
                _ => {
                    let mut sr = Reader::new(file.clone());
                    sr.error(
                        &root,
                        "wrong-type",
                        format!(
                            "an included file holds a list of steps, found {}",
                            root.describe()
                        ),
                    )
                    .hint = Some("write the steps as `- id: ...` at the top level".into());
                    r.diags.extend(sr.diags);
                }
            },
        }
    }
}

/// Step ids are checkpoint keys: unique across the runbook and every file it includes.
/// (Duplicates inside the runbook itself are reported where its list is read.)
pub(super) fn duplicate_ids_across_files(r: &mut Reader, steps: &[Step]) {
    for (i, s) in steps.iter().enumerate() {
        if let Some(first) = steps[..i].iter().find(|o| {
            o.id.value == s.id.value && (o.file.path != r.file.path || s.file.path != r.file.path)
        }) {
            r.diags.push(
                Diagnostic::error(
                    &s.file,
                    s.id.span,
                    "duplicate-step-id",
                    format!("duplicate step id `{}`", s.id.value),
                )
                .hint(format!(
                    "`{}` is also a step of {} (line {}); step ids must be unique across included files",
                    s.id.value,
                    first.file.display(),
                    first.id.span.line
                )),
            );
        }
    }
}
