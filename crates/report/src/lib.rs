//! Reporters: they consume what the engine and the journal say and show it.

pub mod after_action;
pub mod console;
pub mod controllers;
pub mod formats;
pub mod html;
pub mod plan_view;
pub mod sanitize;
