//! Running a host job to completion: the step's action (command or transfer), and the
//! rules and wording of transfers.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use drctl_core::Phase;
use drctl_model::runbook::inventory::resolve_path;
use drctl_model::runbook::model::Action;
use drctl_model::template::Mode;
use drctl_transport::TransportError;

use super::{HostJob, HostOutcome, fail};

impl HostJob {
    /// Run the job to completion.
    pub fn run(&self) -> HostOutcome {
        let ps = self.ps();
        if self.phase == Phase::Rollback {
            let Some(rb) = &ps.step.rollback else {
                return HostOutcome {
                    ok: true,
                    skipped: true,
                    ..Default::default()
                };
            };
            return match self.render_command(rb) {
                Ok(cmd) => self.exec_once(&cmd, ps.timeout, None, 1),
                Err(e) => fail(format!("template error in rollback: {e}")),
            };
        }
        match &ps.step.action {
            Action::Run(_) => {
                let Some(src) = &ps.command else {
                    return HostOutcome {
                        ok: true,
                        skipped: true,
                        ..Default::default()
                    };
                };
                match self.render_command(src) {
                    Ok(cmd) => self.run_command(&cmd),
                    Err(e) => fail(format!("template error: {e}")),
                }
            }
            Action::Upload(t) | Action::Download(t) => {
                let upload = matches!(ps.step.action, Action::Upload(_));
                let (src, dest) = match (
                    self.render(&t.src, Mode::Text),
                    self.render(&t.dest, Mode::Text),
                ) {
                    (Ok(s), Ok(d)) => (s, d),
                    (Err(e), _) | (_, Err(e)) => return fail(format!("template error: {e}")),
                };
                for (field, template, path) in
                    [("src", &t.src.value, &src), ("dest", &t.dest.value, &dest)]
                {
                    if let Err(why) = contained(template, path) {
                        return fail(format!("`{field}` {path:?}: {why}"));
                    }
                }
                // Paths are relative to the file the step is written in (an included file too).
                let base = ps.step.file.dir().to_path_buf();
                // A local file the download replaces: say so, and keep its mode.
                let replaced = (!upload)
                    .then(|| std::fs::metadata(resolve_path(&dest, &base)).ok())
                    .flatten()
                    .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777);
                let command = format!(
                    "{} {src} -> {dest}",
                    if upload { "upload" } else { "download" }
                );
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    if attempts > 1 {
                        self.pool.redial(&self.host.name);
                    }
                    let t0 = Instant::now();
                    let res = self.plan_pool_transfer(upload, &src, &dest, t.mode, &base);
                    match res {
                        Ok(r) => {
                            let mut stdout = transfer_line(upload, &r, t0.elapsed());
                            if let Some(mode) = replaced {
                                let local = resolve_path(&dest, &base);
                                let kept = std::fs::set_permissions(
                                    &local,
                                    std::os::unix::fs::PermissionsExt::from_mode(mode),
                                );
                                stdout.push_str(&format!(
                                    "; replaced the existing local file {} ({})",
                                    local.display(),
                                    match kept {
                                        Ok(()) => format!("mode {mode:o} kept"),
                                        Err(e) => format!("mode not kept: {e}"),
                                    }
                                ));
                            }
                            return HostOutcome {
                                ok: true,
                                attempts,
                                exit: Some(0),
                                stdout,
                                command,
                                ..Default::default()
                            };
                        }
                        Err(e) if attempts > ps.retries || self.cancel.load(Ordering::SeqCst) => {
                            let mut o = fail(e.to_string());
                            o.attempts = attempts;
                            o.host_key_refused = e.is_host_key();
                            o.command = command;
                            return o;
                        }
                        Err(_) => std::thread::sleep(ps.retry_delay),
                    }
                }
            }
            Action::Approve(_) => HostOutcome {
                ok: true,
                skipped: true,
                ..Default::default()
            },
        }
    }

    fn plan_pool_transfer(
        &self,
        upload: bool,
        src: &str,
        dest: &str,
        mode: Option<u32>,
        base: &Path,
    ) -> Result<drctl_transport::TransferResult, TransportError> {
        let timeout = self.ps().timeout;
        let become_as = self.become_as().map_err(|msg| TransportError::Become {
            host: self.host.name.clone(),
            how: "become".into(),
            msg,
        })?;
        if upload {
            let local = resolve_path(src, base);
            self.pool.with(&self.host, |c| {
                c.set_become(become_as.as_ref())?;
                c.upload(&local, dest, mode.unwrap_or(0o644), timeout)
            })
        } else {
            let local = resolve_path(dest, base);
            self.pool.with(&self.host, |c| {
                c.set_become(become_as.as_ref())?;
                c.download(src, &local, timeout)
            })
        }
    }
}

/// A transfer path whose template has values must stay where its literal part puts it:
/// no value may climb out with `..`, or replace the folder the author wrote.
fn contained(template: &str, rendered: &str) -> Result<(), String> {
    let Some(first) = template.find("{{") else {
        return Ok(());
    };
    let prefix = &template[..first];
    let folder = &prefix[..prefix.rfind('/').map_or(0, |i| i + 1)];
    if !rendered.starts_with(folder) {
        return Err(format!("a value moved it out of `{folder}`"));
    }
    let written_ups = template.split('/').filter(|c| *c == "..").count();
    let ups = rendered.split('/').filter(|c| *c == "..").count();
    if ups > written_ups {
        return Err("a value put `..` in it: it must stay in the folder the runbook names".into());
    }
    Ok(())
}
/// A transfer's line in the output and the journal: size, rate (MB/s, of the bytes sent
/// in this attempt), whether it resumed, checksum.
fn transfer_line(upload: bool, r: &drctl_transport::TransferResult, took: Duration) -> String {
    let sent = r.bytes.saturating_sub(r.resumed_from);
    let rate = sent as f64 / 1e6 / took.as_secs_f64().max(1e-6);
    let resumed = if r.resumed_from > 0 {
        format!(", resumed at byte {}", r.resumed_from)
    } else {
        String::new()
    };
    format!(
        "{} {} bytes in {:.2}s: {rate:.1} MB/s{resumed} (sha256 {})",
        if upload { "upload" } else { "download" },
        r.bytes,
        took.as_secs_f64(),
        r.sha256
    )
}
#[cfg(test)]
mod tests {
    use super::contained;

    #[test]
    fn a_value_cannot_steer_a_transfer_path_out_of_its_folder() {
        assert!(contained("backups/{{ name }}.tar", "backups/db1.tar").is_ok());
        assert!(contained("backups/{{ name }}.tar", "backups/../../etc/passwd.tar").is_err());
        assert!(contained("/srv/{{ d }}/x", "/srv/a/x").is_ok());
        assert!(contained("/srv/{{ d }}/x", "/srv/../root/x").is_err());
        assert!(
            contained("../shared/{{ f }}", "../shared/f").is_ok(),
            "the author's own .."
        );
        assert!(
            contained("{{ whole }}", "/anything").is_ok(),
            "no folder was named"
        );
        assert!(contained("{{ whole }}", "../up").is_err());
        assert!(contained("plain/path", "plain/path").is_ok());
    }
}
