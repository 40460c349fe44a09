//! Unit tests for the template engine.

use super::*;

fn ctx(pairs: &[(&str, &str)]) -> Value {
    Value::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), Value::from(*v))))
}

#[test]
fn values_travel_as_environment_variables() {
    let e = Engine::default();
    let c = ctx(&[("x", "a b; rm -rf /"), ("y", "plain-word")]);
    let r = e.render_command("echo {{ x }} \"{{ y }}\"", &c).unwrap();
    assert_eq!(r.text, "echo \"${DRCTL_V_1}\" \"${DRCTL_V_2}\"");
    assert_eq!(
        r.env,
        [
            ("DRCTL_V_1".to_string(), "a b; rm -rf /".to_string()),
            ("DRCTL_V_2".to_string(), "plain-word".to_string())
        ]
    );
    assert_eq!(r.display, "echo a b; rm -rf / \"plain-word\"");
    assert_eq!(
        e.render("echo {{ x | raw }}", Mode::Command, &c).unwrap(),
        "echo a b; rm -rf /"
    );
    assert_eq!(
        e.render("{{ x }}", Mode::Text, &c).unwrap(),
        "a b; rm -rf /"
    );
}

/// Run `cmd` (rendered with `value` as `{{ v }}`) in a real shell; its stdout.
fn sh(shell: &str, cmd: &str, value: &str) -> String {
    let e = Engine::default();
    let r = e.render_command(cmd, &ctx(&[("v", value)])).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(shell)
        .arg("-c")
        .arg(&r.text)
        .envs(r.env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "{shell}: a value created a file: {}",
        r.text
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every shell context an author can write, against values an attacker would send:
/// the shell prints the value exactly, and nothing else runs.
#[test]
fn no_value_runs_a_command_in_any_shell_context() {
    let hostile = [
        "$(touch pwned)",
        "`touch pwned`",
        "\"; touch pwned; echo \"",
        "'; touch pwned; echo '",
        "a b  c * ?",
        "line1\nEOF\ntouch pwned\nEOF",
        "\\$HOME ${HOME}",
    ];
    for shell in ["sh", "bash"] {
        for v in hostile {
            assert_eq!(sh(shell, "printf %s {{ v }}", v), v, "bare, {shell}");
            assert_eq!(sh(shell, "printf %s \"{{ v }}\"", v), v, "double, {shell}");
            assert_eq!(
                sh(shell, "printf %s \"<{{ v }}>\"", v),
                format!("<{v}>"),
                "inside double, {shell}"
            );
            assert_eq!(sh(shell, "printf %s '{{ v }}'", v), v, "single, {shell}");
            assert_eq!(
                sh(shell, "printf %s \"$(printf %s {{ v }})\"", v),
                v,
                "$(), {shell}"
            );
            assert_eq!(
                sh(shell, "cat <<EOF\n{{ v }}\nEOF", v),
                format!("{v}\n"),
                "heredoc, {shell}"
            );
            assert_eq!(
                sh(shell, "cat <<-EOF\n\t[{{ v }}]\n\tEOF", v),
                format!("[{v}]\n"),
                "heredoc -, {shell}"
            );
            assert_eq!(sh(shell, "echo x # {{ v }}", v), "x\n", "comment, {shell}");
            if !v.contains('\n') {
                assert_eq!(
                    sh(shell, "cat <<'EOF'\n{{ v }}\nEOF", v),
                    format!("{v}\n"),
                    "quoted heredoc, {shell}"
                );
            }
        }
    }
}

#[test]
fn contexts_without_a_safe_form_are_refused() {
    let e = Engine::default();
    let c = ctx(&[("v", "a\nEOF\nrm -rf /")]);
    for cmd in [
        "echo $'{{ v }}'",
        "echo ${ {{ v }} }",
        "cat <<'EOF'\n{{ v }}\nEOF",
    ] {
        assert!(e.render_command(cmd, &c).is_err(), "{cmd}");
    }
}

#[test]
fn undefined_is_an_error() {
    let e = Engine::default();
    assert!(e.render("{{ nope }}", Mode::Command, &ctx(&[])).is_err());
}

#[test]
fn when_forms() {
    let e = Engine::default();
    let c = ctx(&[("mode", "drill")]);
    assert!(e.eval_when("{{ mode }} == \"drill\"", &c).unwrap());
    assert!(e.eval_when("mode == 'drill'", &c).unwrap());
    assert!(!e.eval_when("mode == 'run'", &c).unwrap());
}

#[test]
fn masks_secrets_in_every_form_drctl_writes_them() {
    let m = Masker::new(["it's \"x\"".to_string()]);
    let quoted = shell_quote("it's \"x\"");
    assert_eq!(
        m.mask(&format!("export V={quoted}")),
        format!("export V='{MASK}'")
    );
    let json = serde_json::to_string("it's \"x\"").unwrap();
    assert!(!m.mask(&json).contains("it's"), "{}", m.mask(&json));
}

#[test]
fn masks_longest_first() {
    let m = Masker::new(["abc".to_string(), "abcdef".to_string()]);
    assert_eq!(m.mask("x abcdef abc"), format!("x {MASK} {MASK}"));
}
