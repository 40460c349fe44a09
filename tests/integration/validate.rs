//! `drctl validate`, `plan`, `schema` and `completions` as a user and CI run them.

use std::path::Path;

use crate::builder::Drctl;

/// drctl in the repository's root, for the tests that read its own files (tests/bad).
fn drctl() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_drctl"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    c
}

/// Each malformed runbook: where the first problem is and what it is called.
const CORPUS: &[(&str, &str, &str)] = &[
    ("blank-run.yaml", "7:11", "blank-command"),
    ("capture-before.yaml", "7:18", "undefined-variable"),
    ("duplicate-id.yaml", "8:9", "duplicate-step-id"),
    ("duplicate-key.yaml", "4:1", "duplicate-key"),
    ("duration.yaml", "7:14", "bad-duration"),
    ("enums.yaml", "4:11", "bad-value"),
    ("expect-template.yaml", "8:13", "template-in-check"),
    ("no-action.yaml", "5:5", "no-action"),
    ("not-utf8.yaml", "7:15", "not-utf8"),
    ("on-yes.yaml", "6:9", "unknown-target"),
    ("regex.yaml", "8:23", "bad-regex"),
    ("retries.yaml", "8:14", "out-of-range"),
    ("tab.yaml", "5:9", "yaml-syntax"),
    ("template-syntax.yaml", "7:18", "template-syntax"),
    ("unclosed-quote.yaml", "3:7", "yaml-syntax"),
    ("unknown-filter.yaml", "7:25", "unknown-filter"),
    ("unknown-key.yaml", "7:5", "unknown-key"),
    ("upload-missing.yaml", "7:20", "missing-upload-source"),
    ("version.yaml", "1:8", "bad-version"),
    ("zero-interval.yaml", "9:15", "zero-interval"),
];

#[test]
fn each_malformed_runbook_is_reported_at_its_line_and_column() {
    for (file, pos, code) in CORPUS {
        let path = format!("tests/bad/{file}");
        let out = Drctl::new()
            .args(["validate", "--format", "short", &path])
            .run();
        let first = out.stdout().lines().next().unwrap_or_default();
        // Each file fails.
        out.status(2).check(
            first.starts_with(&format!("{path}:{pos}: error[{code}]")),
            format_args!("{file}: got {first}"),
        );
    }
}

#[test]
fn every_problem_of_every_file_in_one_pass_as_json() {
    let v = Drctl::new()
        .args(["validate", "--format", "json", "tests/bad"])
        .run()
        .status(2)
        .json();
    let diags = v["diagnostics"].as_array().unwrap();
    for (file, pos, code) in CORPUS {
        let (line, col) = pos.split_once(':').unwrap();
        let (line, col): (u64, u64) = (line.parse().unwrap(), col.parse().unwrap());
        assert!(
            diags
                .iter()
                .any(|d| d["file"].as_str().unwrap().ends_with(file)
                    && d["line"] == line
                    && d["column"] == col
                    && d["code"] == *code
                    && d["severity"] == "error"
                    && d["message"].is_string()),
            "{file} {pos} {code} missing from JSON"
        );
    }
    assert_eq!(v["valid"], false);
}

#[test]
fn human_output_shows_source_line_caret_and_hint() {
    Drctl::new()
        .args(["validate", "tests/bad/unknown-key.yaml"])
        .run()
        .stdout_has("tests/bad/unknown-key.yaml:7:5: unknown key `steps.a.rolback`")
        .stdout_has("7 |     rolback: x")
        .stdout_has("^^^^^^^")
        .stdout_has("did you mean `rollback`?");
}

#[test]
fn repo_runbooks_and_the_format_page_example_validate() {
    for dir in ["runbooks", "examples"] {
        if Path::new(dir).exists() {
            Drctl::new().args(["validate", dir]).run().status(0);
        }
    }
    Drctl::new()
        .args(["validate", "examples/format-page/pg-failover.yaml"])
        .run()
        .status(0);
}

#[test]
fn repo_runbooks_validate_against_the_json_schema() {
    let schema = Drctl::new().arg("schema").run().json();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut n = 0;
    let mut stack = vec![
        Path::new("runbooks").to_path_buf(),
        Path::new("examples").to_path_buf(),
    ];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            if p.extension().is_none_or(|x| x != "yaml")
                || !drctl::validate::looks_like_runbook(&text)
            {
                continue;
            }
            let yaml: serde_json::Value = yaml_to_json(&text);
            let errors: Vec<String> = validator
                .iter_errors(&yaml)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", p.display());
            n += 1;
        }
    }
    assert!(n >= 1);
    // And the schema rejects what validate rejects.
    let bad = yaml_to_json(
        "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: a\n    on: local\n    rolback: x\n    run: echo\n",
    );
    assert!(!validator.is_valid(&bad));
}

/// YAML → JSON through drctl's own loader (plain scalars typed by the core schema).
fn yaml_to_json(text: &str) -> serde_json::Value {
    use drctl::runbook::yaml::{Budget, Kind, Node, load};
    fn conv(n: &Node) -> serde_json::Value {
        match &n.kind {
            Kind::Scalar { value, plain } => {
                if *plain {
                    if n.is_null() {
                        return serde_json::Value::Null;
                    }
                    if let Ok(i) = value.parse::<i64>() {
                        return i.into();
                    }
                    if value == "true" || value == "false" {
                        return (value == "true").into();
                    }
                }
                value.clone().into()
            }
            Kind::Seq(v) => v.iter().map(conv).collect(),
            Kind::Map(v) => v
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or("").to_string(), conv(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
    let f = drctl::runbook::source::SourceFile::new("x", text);
    conv(&load(&f, Budget::default()).unwrap().unwrap())
}

#[test]
fn completions_are_not_stale() {
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
    ] {
        let want = drctl::cli::completions::generate(shell);
        let path = format!("completions/drctl.{shell}");
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{path} is stale: run `for s in bash zsh fish; do cargo run -q -- completions $s > completions/drctl.$s; done`"
        );
    }
}

#[test]
fn plan_shows_hosts_commands_rollbacks_and_masks_secrets() {
    Drctl::new()
        .args(["plan", "examples/format-page/pg-failover.yaml"])
        .env("DR_API_TOKEN", "tok-very-secret")
        .run()
        .status(0)
        .stdout_has("db2: pg_isready -h 10.0.0.12")
        .stdout_has("rollback on db1: systemctl start postgresql")
        .stdout_has("GATE (approval needed): Promote db2 to primary?")
        .stdout_lacks("tok-very-secret");
    let v = Drctl::new()
        .args([
            "plan",
            "--format",
            "json",
            "examples/format-page/pg-failover.yaml",
        ])
        .run()
        .json();
    assert_eq!(v["steps"].as_array().unwrap().len(), 8);
}

#[test]
fn no_input_panics_truncations_and_garbage() {
    let good = std::fs::read_to_string("examples/format-page/pg-failover.yaml").unwrap();
    for cut in (0..good.len()).step_by(7) {
        if !good.is_char_boundary(cut) {
            continue;
        }
        let f = drctl::runbook::source::SourceFile::new("x.yaml", &good[..cut]);
        let _ = drctl::runbook::parse::parse_runbook(&f);
    }
    for s in [
        "{",
        "[[[[",
        "- - - -",
        "&a [*a]",
        "drctl: !!binary x",
        "? a\n: b",
        "steps: *nope",
        "\u{0}",
    ] {
        let f = drctl::runbook::source::SourceFile::new("x.yaml", s);
        let _ = drctl::runbook::parse::parse_runbook(&f);
    }
}

/// Inputs the fuzzer (fuzz/, `cargo fuzz run validate`) once crashed on: parsed, checked
/// and rendered in process, and through the CLI (exit 2, never a panic's 101).
#[test]
fn fuzz_regressions_give_diagnostics_not_panics() {
    let mut n = 0;
    for e in std::fs::read_dir("tests/fuzz-regressions")
        .unwrap()
        .flatten()
    {
        let bytes = std::fs::read(e.path()).unwrap();
        let mut parts = bytes.splitn(2, |b| *b == 0);
        let rb = String::from_utf8_lossy(parts.next().unwrap()).into_owned();
        let f = drctl::runbook::source::SourceFile::new("x.yaml", rb);
        let diags = drctl::validate::check_source(&f, None, &Default::default());
        assert!(!diags.is_empty(), "{}", e.path().display());
        for d in diags {
            assert!(d.render(false).contains("x.yaml:"));
        }
        Drctl::new()
            .arg("validate")
            .arg(e.path())
            .run()
            .status_in(&[0, 2]);
        n += 1;
    }
    assert!(n > 0);
}

/// Issue 11 points 8 and 11: an inventory drctl does not read gets one diagnostic saying
/// so, and no line of it (it may be a secrets file named by mistake) is ever printed.
/// (Issue 13: an Ansible INI inventory is read now.)
#[test]
fn a_file_that_is_not_an_inventory_is_named_once_and_never_quoted() {
    let td = tempfile::tempdir().unwrap();
    let rb = td.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: a\n    on: db1\n    run: echo\n",
    )
    .unwrap();
    let ini = drctl()
        .args(["validate", "-i", "tests/bad/inventories/hosts.ini"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(ini.status.code(), Some(0), "{ini:?}");
    for (inv, says) in [
        ("secrets.yaml", "not an inventory"),
        ("credentials", "not an inventory"),
        ("secrets.env", "not an inventory"),
    ] {
        let inv = format!("tests/bad/inventories/{inv}");
        for format in ["text", "json", "short"] {
            let out = drctl()
                .args(["validate", "--format", format, "-i", &inv])
                .arg(&rb)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2));
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(!text.contains("SECRET"), "{inv} leaked:\n{text}");
            assert!(!text.contains("ansible_host"), "{inv} quoted:\n{text}");
            assert!(text.contains(says), "{inv}: {text}");
            let inv_diags = text
                .lines()
                .filter(|l| l.contains("not-an-inventory"))
                .count();
            if format != "text" {
                assert_eq!(inv_diags, 1, "{inv}: {text}");
            }
            assert!(!text.contains("yaml-syntax"), "{inv}: {text}");
        }
    }
}

/// Issue 11 point 8: a folder in which nothing was checked is an error, not "0 runbooks valid".
#[test]
fn a_folder_with_no_runbook_is_an_error() {
    let td = tempfile::tempdir().unwrap();
    let empty = td.path().join("empty");
    let other = td.path().join("other");
    std::fs::create_dir(&empty).unwrap();
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("ci.yaml"), "on: push\njobs: {}\n").unwrap();
    for dir in [&empty, &other] {
        let out = drctl().arg("validate").arg(dir).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("no runbook"), "{text}");
        assert!(!text.contains("valid"), "{text}");
    }
}

/// Issue 11 point 8: `-e NAME=VALUE` for a name the runbook does not use is a warning.
#[test]
fn an_unused_extra_var_is_a_warning() {
    let td = tempfile::tempdir().unwrap();
    let rb = td.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "drctl: 1\nkind: failover\nname: t\nsteps:\n  - id: a\n    on: local\n    run: echo {{ target }}\n",
    )
    .unwrap();
    let out = drctl()
        .args([
            "validate", "--format", "short", "-e", "target=x", "-e", "taget=y",
        ])
        .arg(&rb)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("warning[unused-var]") && text.contains("`taget`"),
        "{text}"
    );
    assert!(!text.contains("`target` is not used"), "{text}");
}

/// Issue 11 point 8: a value captured on several hosts, used on a host that did not
/// capture it, cannot be told apart: `validate` says so before the run would fail.
#[test]
fn a_capture_several_hosts_set_used_elsewhere_is_an_error() {
    let td = tempfile::tempdir().unwrap();
    std::fs::write(
        td.path().join("inv.yaml"),
        "hosts:\n  a: { addr: 192.0.2.1 }\n  b: { addr: 192.0.2.2 }\n  c: { addr: 192.0.2.3 }\ngroups:\n  dbs: [a, b]\n",
    )
    .unwrap();
    let rb = td.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "drctl: 1\nkind: failover\nname: t\ninventory: inv.yaml\nsteps:\n  - id: lsn\n    on: dbs\n    run: show-lsn\n    capture: lsn\n  - id: own\n    on: dbs\n    run: echo {{ lsn }}\n  - id: proxy\n    on: c\n    run: point-at {{ lsn }}\n",
    )
    .unwrap();
    let out = drctl()
        .args(["validate", "--format", "short"])
        .arg(&rb)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(":15:22: error[ambiguous-capture]") && text.contains("uses it on `c`"),
        "{text}"
    );
    assert_eq!(
        text.matches("ambiguous-capture").count(),
        1,
        "on a and b it is their own: {text}"
    );
}

/// Issue 11 point 10: a download from several hosts to one local file is refused.
#[test]
fn a_download_from_several_hosts_to_one_file_is_refused() {
    let td = tempfile::tempdir().unwrap();
    std::fs::write(
        td.path().join("inv.yaml"),
        "hosts:\n  a: { addr: 192.0.2.1 }\n  b: { addr: 192.0.2.2 }\ngroups:\n  dbs: [a, b]\n",
    )
    .unwrap();
    let rb = td.path().join("rb.yaml");
    let text = "drctl: 1\nkind: restore\nname: t\ninventory: inv.yaml\nsteps:\n  - id: fetch\n    on: dbs\n    download: { src: /var/backup.tar, dest: backup.tar }\n";
    std::fs::write(&rb, text).unwrap();
    let out = drctl()
        .args(["validate", "--format", "short"])
        .arg(&rb)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("error[download-collision]") && shown.contains("(a, b)"),
        "{shown}"
    );
    std::fs::write(
        &rb,
        text.replace("dest: backup.tar", "dest: \"{{ host.name }}/backup.tar\""),
    )
    .unwrap();
    let out = drctl().args(["validate"]).arg(&rb).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Issue 11 point 11: a file that is not a runbook, named by mistake, is never quoted.
#[test]
fn a_file_that_is_not_a_runbook_is_named_once_and_never_quoted() {
    let td = tempfile::tempdir().unwrap();
    for (name, text) in [
        (
            "secrets.yaml",
            "db_password: SECRET123\napi: \"unterminated\n",
        ),
        ("secrets.env", "PASSWORD=SECRET123\n"),
    ] {
        let p = td.path().join(name);
        std::fs::write(&p, text).unwrap();
        for cmd in [vec!["validate"], vec!["run"], vec!["plan"]] {
            let out = drctl().args(&cmd).arg(&p).output().unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.status.code(), Some(2), "{all}");
            assert!(!all.contains("SECRET123"), "{cmd:?} {name} leaked: {all}");
            assert!(
                all.contains("not-a-runbook") || all.contains("is not a runbook"),
                "{all}"
            );
        }
    }
}
