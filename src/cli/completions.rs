//! `drctl completions SHELL`: completions generated from the clap definition.

use clap::CommandFactory;

use crate::error::Exit;

use super::Cli;

pub fn run(shell: clap_complete::Shell) -> anyhow::Result<Exit> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "drctl", &mut std::io::stdout());
    Ok(Exit::Success)
}

/// Completions as text, for the staleness test and `completions/`.
pub fn generate(shell: clap_complete::Shell) -> String {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "drctl", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}
