//! `drctl man DIR`: the man pages generated from the clap definition — `drctl.1` and one
//! per subcommand (`drctl-resume.1`, `drctl-audit-verify.1`), as `man/` holds them (a test
//! fails when they are stale).

use std::path::Path;

use clap::CommandFactory;

use crate::error::Exit;

use super::Cli;

/// Every page: (file name, roff text).
pub fn generate() -> Vec<(String, String)> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut pages = Vec::new();
    collect(cmd, &mut pages);
    pages
}

fn collect(cmd: clap::Command, pages: &mut Vec<(String, String)>) {
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        collect(sub.clone(), pages);
    }
    let man = clap_mangen::Man::new(cmd);
    let mut out = Vec::new();
    man.render(&mut out)
        .expect("rendering into memory cannot fail");
    pages.push((
        man.get_filename(),
        String::from_utf8_lossy(&out).into_owned(),
    ));
}

/// Write every page into `dir`.
pub fn run(dir: &Path) -> anyhow::Result<Exit> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in generate() {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(Exit::Success)
}
