//! drctl's core vocabulary: how a run is written down ([`record`]), how it ends
//! ([`outcome`]), what it says while it runs ([`events`]), where it stands ([`checkpoint`])
//! and the seams its state goes through ([`store`]). Every other crate speaks these words;
//! this one imports none of them.

pub mod checkpoint;
pub mod events;
pub mod exit;
pub mod gate;
#[cfg(any(test, feature = "memory"))]
pub mod memory;
pub mod outcome;
pub mod record;
pub mod store;
pub mod time;

pub use exit::Exit;
pub use outcome::{Decision, Outcome, Phase, RunMode};
