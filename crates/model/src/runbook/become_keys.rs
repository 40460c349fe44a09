//! The `become*` keys of an inventory's `defaults:` and hosts (`become`, `become_user`,
//! `become_method`, `become_password`), and what `become_password` may hold: a template
//! naming one secret var (`"{{ var }}"`), never the password itself.

use crate::diagnostic::Diagnostic;
use crate::runbook::reader::{Fields, Reader};
use crate::runbook::source::SourceFile;
use drctl_transport::{BecomeConfig, BecomeMethod, BecomeSwitch};

/// The var a `become_password` template names: `{{ name }}` and nothing else.
pub fn password_var(template: &str) -> Option<&str> {
    let inner = template
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim();
    let ok = !inner.is_empty()
        && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !inner.starts_with(|c: char| c.is_ascii_digit());
    ok.then_some(inner)
}

/// Apply the `become*` keys found in `f` (a host's or `defaults:` mapping).
pub fn apply(r: &mut Reader, f: &Fields<'_>, path: &str, b: &mut BecomeConfig) {
    let p = |k: &str| format!("{path}.{k}");
    if let Some(n) = f.get("become")
        && let Some(v) = r.bool(n, &p("become"))
    {
        b.switch = if v {
            BecomeSwitch::On
        } else {
            BecomeSwitch::Off
        };
    }
    if let Some(n) = f.get("become_user")
        && let Some(s) = r.string(n, &p("become_user"))
    {
        b.user = s.value;
    }
    if let Some(n) = f.get("become_method")
        && let Some(s) = r.choice(n, &p("become_method"), &["sudo", "su"])
    {
        b.method = if s.value == "su" {
            BecomeMethod::Su
        } else {
            BecomeMethod::Sudo
        };
    }
    if let Some(n) = f.get("become_password")
        && let Some(s) = r.string(n, &p("become_password"))
    {
        if password_var(&s.value).is_some() {
            b.password = Some(s.value);
        } else {
            // The line is not quoted: it may hold the password itself.
            let blind = SourceFile::new(&r.file.path, "");
            r.diags.push(
                Diagnostic::error(
                    &blind,
                    s.span,
                    "literal-secret",
                    format!(
                        "`{}` must name a secret var as `\"{{{{ var }}}}\"`, not hold a password (the line is not shown)",
                        p("become_password")
                    ),
                )
                .hint("declare `vars: { NAME: { env: ENV_VAR, secret: true } }` in the runbook and write `become_password: \"{{ NAME }}\"`"),
            );
        }
    }
}

/// What a step runs as on a host (`None`: the login user). A step's `become:` and
/// `become_user:` override the host's; a step's `become_user:` alone implies `become: true`.
pub fn effective(
    step: &crate::runbook::model::Step,
    host: &drctl_transport::Host,
) -> Option<BecomeConfig> {
    let on = match (&step.become_switch, &step.become_user) {
        (Some(b), _) => b.value,
        (None, Some(_)) => true,
        (None, None) => host.privilege.switch == BecomeSwitch::On,
    };
    on.then(|| BecomeConfig {
        switch: BecomeSwitch::On,
        user: step
            .become_user
            .as_ref()
            .map_or_else(|| host.privilege.user.clone(), |u| u.value.clone()),
        ..host.privilege.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::password_var;

    #[test]
    fn only_a_bare_var_is_a_password_template() {
        assert_eq!(password_var("{{ op_pw }}"), Some("op_pw"));
        assert_eq!(password_var("{{pw}}"), Some("pw"));
        assert_eq!(password_var("hunter2"), None);
        assert_eq!(password_var("{{ pw }}x"), None);
        assert_eq!(password_var("{{ pw | upper }}"), None);
        assert_eq!(password_var("{{ 1pw }}"), None);
    }
}
