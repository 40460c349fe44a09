//! Reporters: they consume what the engine and the journal say and show it.

pub mod console;
pub mod plan_view;
