//! drctl's runbook language: `runbook` (spanned YAML, model, inventory) → `validate`
//! (rules → diagnostics) → `plan` (pure resolution against an inventory), with
//! `template` (minijinja, shell quoting, masking), `diagnostic` and the JSON `schema`.

// Diagnostics are returned once per file, never in a hot loop.
#![allow(clippy::result_large_err)]

pub mod diagnostic;
pub mod limit;
pub mod plan;
pub mod runbook;
pub mod schema;
pub mod schema_docs;
pub mod template;
pub mod validate;
