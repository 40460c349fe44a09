//! drctl: disaster-recovery runbooks over SSH with checkpoints, resume and rollback.
//!
//! Layers, each depending only on those before it: `runbook` (model with spans) →
//! `validate` (rules → diagnostics) → `plan` (pure resolution) → `exec` (runs a plan,
//! emits events) → `transport` (ssh, local, fake); `state` and `report` consume events.
//! `cli` sits on top and nothing depends on it.

// Diagnostics and transport errors are returned once per file or command, never in a hot loop.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod diagnostic;
pub mod error;
pub mod exec;
pub mod plan;
pub mod report;
pub mod runbook;
pub mod schema;
pub mod state;
pub mod template;
pub mod transport;
pub mod validate;
