//! Build script: `DRCTL_VERSION` = the package version and the commit it was built from
//! (`0.1.0 (commit 1a2b3c4d5e6f-dirty)`), for `drctl --version` and reports. Outside a git
//! checkout (a source tarball) `DRCTL_COMMIT` from the environment names it, else the
//! version says `commit unknown`.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rerun-if-env-changed=DRCTL_COMMIT");
    let commit = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(c) if !c.is_empty() => {
            // Rebuild when HEAD moves or the tree changes (the dirty mark).
            if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
                println!("cargo:rerun-if-changed={dir}/HEAD");
                println!("cargo:rerun-if-changed={dir}/index");
                if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"])
                    && let Some(common) = git(&["rev-parse", "--git-common-dir"])
                {
                    println!("cargo:rerun-if-changed={common}/{r}");
                }
            }
            for p in ["src", "crates", "Cargo.toml", "Cargo.lock"] {
                println!("cargo:rerun-if-changed={p}");
            }
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            format!("commit {c}{}", if dirty { "-dirty" } else { "" })
        }
        _ => match std::env::var("DRCTL_COMMIT") {
            Ok(c) if !c.is_empty() => format!("commit {c}"),
            _ => "commit unknown: built outside a git checkout".to_string(),
        },
    };
    println!("cargo:rustc-env=DRCTL_VERSION={version} ({commit})");
}
