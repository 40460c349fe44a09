//! The reference in `docs/` cannot rot: every runbook example of the format page validates
//! (with every inventory example), every flag the CLI reference names exists in the help of
//! its command, and the man page matches the clap definition.

use std::collections::BTreeMap;

use crate::builder::Drctl;

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The ```yaml blocks of a Markdown text, in order.
fn yaml_blocks(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        match &mut cur {
            None if line.trim_start().starts_with("```yaml") => cur = Some(String::new()),
            Some(b) if line.trim_start().starts_with("```") => {
                blocks.push(std::mem::take(b));
                cur = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Every ```yaml block starting with `drctl:` is a runbook; every other one an inventory.
/// Each runbook validates strictly, alone and against each inventory, then runs.
#[test]
fn format_page_examples_validate() {
    let blocks = yaml_blocks(&read("docs/runbook-format.md"));
    let (runbooks, inventories): (Vec<_>, Vec<_>) =
        blocks.iter().partition(|b| b.starts_with("drctl:"));
    assert!(
        !runbooks.is_empty(),
        "no runbook example in docs/runbook-format.md"
    );
    assert!(
        !inventories.is_empty(),
        "no inventory example in docs/runbook-format.md"
    );
    for (i, rb) in runbooks.iter().enumerate() {
        let d = Drctl::new().runbook(&format!("example-{i}.yaml"), rb);
        let sb = d.sandbox().clone();
        d.args(["validate", "--strict", "{runbook}"])
            .run()
            .status(0);
        for (j, inv) in inventories.iter().enumerate() {
            let name = format!("inventory-{j}.yaml");
            sb.drctl()
                .file(&name, inv)
                .args(["validate", "--strict", "{runbook}", "-i"])
                .arg(sb.path(&name))
                .run()
                .status(0);
        }
        // And it runs as written on the controller (every example step is `on: local`).
        sb.drctl()
            .args(["run", "{runbook}", "--yes", "--no-progress"])
            .run()
            .status(0);
    }
}

/// The help text of `drctl CMD` (`audit` means `audit verify`).
fn help(cmd: &str) -> String {
    let mut args: Vec<&str> = cmd.split(' ').collect();
    if args == ["audit"] {
        args.push("verify");
    }
    args.push("--help");
    let out = Drctl::new().args(args).run();
    out.stdout().to_string()
}

/// Every `--flag` in docs/cli.md exists: in the help of the command its bullet names
/// (`- \`drctl CMD`), the table's flags in `drctl run --help`, others in some command's.
#[test]
fn cli_reference_names_only_real_flags() {
    let md = read("docs/cli.md");
    let commands = [
        "validate",
        "plan",
        "run",
        "failover",
        "migrate",
        "restore",
        "cutover",
        "drill",
        "resume",
        "rollback",
        "status",
        "runs",
        "report",
        "audit",
        "schema",
        "completions",
        "approve",
        "decline",
        "watch",
    ];
    let helps: BTreeMap<&str, String> = commands.iter().map(|c| (*c, help(c))).collect();
    let flag = regex::Regex::new(r"--[a-z][a-z-]*").unwrap();
    let mut current: Option<&str> = None;
    let mut checked = 0;
    for line in md.lines() {
        if let Some(rest) = line.strip_prefix("- `drctl ") {
            let word = rest.split([' ', '|', '`']).next().unwrap_or("");
            current = commands.iter().copied().find(|c| *c == word);
        } else if line.starts_with('|') {
            current = Some("run");
        } else if !line.starts_with("  ") {
            current = None;
        }
        for m in flag.find_iter(line) {
            let f = m.as_str();
            let word = |h: &str| {
                regex::Regex::new(&format!(r"{}\b", regex::escape(f)))
                    .unwrap()
                    .is_match(h)
            };
            match current {
                Some(c) => assert!(
                    word(&helps[c]),
                    "docs/cli.md: `{f}` is not a flag of `drctl {c}`: {line}"
                ),
                None => assert!(
                    helps.values().any(|h| word(h)),
                    "docs/cli.md: no command has `{f}`: {line}"
                ),
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} flags found in docs/cli.md");
}

#[test]
fn man_pages_are_not_stale() {
    let fix = "run `cargo run -q -- man man`";
    let pages = drctl::cli::man::generate();
    for (name, want) in &pages {
        let have = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("man")
                .join(name),
        )
        .unwrap_or_default();
        assert!(have == *want, "man/{name} is stale: {fix}");
    }
    for e in
        std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man")).unwrap()
    {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            pages.iter().any(|(n, _)| *n == name),
            "man/{name} is no longer generated: remove it"
        );
    }
}

/// No link in the README or docs/ leaves the repository.
#[test]
fn docs_link_only_inside_the_repository() {
    let mut files = vec!["README.md".to_string()];
    for e in
        std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")).unwrap()
    {
        files.push(format!("docs/{}", e.unwrap().file_name().to_string_lossy()));
    }
    let link = regex::Regex::new(r"\]\(([^)]+)\)").unwrap();
    for f in files {
        let text = read(&f);
        assert!(
            !text.contains("shared/design"),
            "{f} points at ../shared/design"
        );
        for c in link.captures_iter(&text) {
            let target = &c[1];
            assert!(
                !target.contains("://") && !target.starts_with('/'),
                "{f}: link out of the repository: {target}"
            );
            let base = std::path::Path::new(&f).parent().unwrap();
            let path = base.join(target.split('#').next().unwrap());
            assert!(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(&path)
                    .exists(),
                "{f}: broken link {target}"
            );
        }
    }
}
