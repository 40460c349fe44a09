//! Rules for `become`: not on the local transport (drctl does not sudo on the controller:
//! run drctl itself as the account instead), `become_password` naming a declared secret
//! var, and no password with `become_method: su`.

use std::collections::BTreeSet;

use crate::diagnostic::Diagnostic;
use crate::runbook::become_keys::{effective, password_var};
use crate::runbook::inventory::{Inventory, TransportKind};
use crate::runbook::model::Runbook;
use crate::runbook::source::{SourceFile, Span};
use drctl_transport::BecomeMethod;

pub fn become_rules(rb: &Runbook, inv: Option<&Inventory>, out: &mut Vec<Diagnostic>) {
    let fallback = Inventory::default();
    let inv = inv.unwrap_or(&fallback);
    let inv_file = inv
        .file
        .clone()
        .unwrap_or_else(|| SourceFile::new(&rb.file.path, ""));
    // Where a template is written in the inventory (hosts keep no spans).
    let at = |needle: &str| -> Span {
        inv_file.text.find(needle).map_or(Span::default(), |i| {
            let before = &inv_file.text[..i];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Span::new(line, col, needle.chars().count())
        })
    };
    let mut seen_hosts = BTreeSet::new();
    let mut seen_vars = BTreeSet::new();
    for s in &rb.steps {
        let mut local_reported = false;
        for t in &s.on {
            for name in inv.resolve(&t.value).unwrap_or_default() {
                let Some(host) = inv.hosts.get(&name) else {
                    continue;
                };
                let Some(cfg) = effective(s, host) else {
                    continue;
                };
                if host.transport == TransportKind::Local {
                    if !local_reported {
                        local_reported = true;
                        let span = s
                            .become_switch
                            .as_ref()
                            .map(|b| b.span)
                            .or(s.become_user.as_ref().map(|u| u.span))
                            .unwrap_or(t.span);
                        out.push(
                            Diagnostic::error(
                                &s.file,
                                span,
                                "become-on-local",
                                format!(
                                    "step `{}` would become `{}` on `{name}`, which runs on the controller: become is only for SSH hosts",
                                    s.id.value, cfg.user
                                ),
                            )
                            .hint("run drctl itself as that account (e.g. `sudo -u USER drctl run ...`), or set `become: false` on the step"),
                        );
                    }
                    continue;
                }
                if !seen_hosts.insert(name.clone()) {
                    continue;
                }
                let Some(pw) = &cfg.password else { continue };
                if cfg.method == BecomeMethod::Su {
                    out.push(
                        Diagnostic::error(
                            &inv_file,
                            at(pw),
                            "su-password",
                            format!("host `{name}`: `become_method: su` cannot take `become_password` (su reads passwords from a terminal only)"),
                        )
                        .hint("use `become_method: sudo` (the default), or a login user that needs no password for su (root)"),
                    );
                }
                let var = password_var(pw).unwrap_or_default();
                let declared = rb.vars.iter().find(|v| v.name.value == var);
                if !declared.is_some_and(|v| v.secret) && seen_vars.insert(var.to_string()) {
                    out.push(
                        Diagnostic::error(
                            &inv_file,
                            at(pw),
                            "become-password-not-secret",
                            match declared {
                                None => format!("host `{name}`: `become_password` names `{var}`, which the runbook does not declare"),
                                Some(_) => format!("host `{name}`: `become_password` names `{var}`, which is not `secret: true`"),
                            },
                        )
                        .hint(format!("declare it in the runbook: `vars: {{ {var}: {{ env: ENV_VAR, secret: true }} }}`; a secret is masked in every output, journal and report")),
                    );
                }
            }
        }
    }
}
