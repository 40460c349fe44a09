//! drctl: disaster-recovery runbooks over SSH with checkpoints, resume and rollback.
//!
//! This crate is the command line only; the layers below it are crates of the workspace
//! (see the README's diagram). The paths `drctl::runbook`, `drctl::validate`, … stay for
//! the tests, benches and the fuzz target.

// Diagnostics are returned once per file, never in a hot loop.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod error;

pub use drctl_model::{diagnostic, plan, runbook, schema, template, validate};
