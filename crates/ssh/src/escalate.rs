//! `become` over SSH: a channel whose command is `sudo` (or `su`) starting `/bin/sh` as
//! the become user. sudo's password goes on the channel's stdin (`sudo -S`), never on a
//! command line or in a file, and only once sudo has printed drctl's own prompt (a random
//! token): a host that needs no password never receives it, and a wrong one is never
//! followed by anything sudo could take for a second attempt (the channel is closed at
//! sudo's "Sorry, try again"). Without a password sudo runs with `-n`: it fails at once
//! instead of prompting. The script starts by printing a marker; everything before it is
//! sudo's, everything after it the command's.

use std::io::{ErrorKind, Read};
use std::time::{Duration, Instant};

use drctl_transport::{Become, BecomeMethod, TransportError, shell_quote};

use super::SshConnection;

/// How long sudo may take to answer (its own delay after a wrong password is ~2 s).
const AUTH_LIMIT: Duration = Duration::from_secs(15);

/// The become user's shell: bash when the host has it (dash turns job control, hence a
/// process group per command, off without a terminal), else /bin/sh.
pub(crate) const BECOME_SHELL: &str = "if command -v bash >/dev/null 2>&1; then exec bash --norc --noprofile -s; else exec /bin/sh -s; fi";

/// Kill a process group, or (a shell without job control did not make one) the process
/// and its children; TERM at once, KILL 2 s later.
pub(crate) fn kill_script(pid: i32) -> String {
    format!(
        "kill -TERM -- -{pid} 2>/dev/null || {{ pkill -TERM -P {pid}; kill -TERM {pid}; }} 2>/dev/null; (sleep 2; kill -KILL -- -{pid} 2>/dev/null || {{ pkill -KILL -P {pid}; kill -KILL {pid}; }}) >/dev/null 2>&1 &"
    )
}

fn become_key(b: &Become) -> String {
    format!("{}:{}", b.method.as_str(), b.user)
}

fn ok_mark(token: &str) -> String {
    format!("\u{1e}drctl-become-ok:{token}\n")
}

fn prompt(token: &str) -> String {
    format!("[drctl-become-password:{token}]")
}

/// The command line that runs the shell script `inner` as `b.user` (through the login
/// shell, which `exec`s sudo or su).
pub fn command(b: &Become, token: &str, inner: &str) -> String {
    let script = format!(
        "cd \"$HOME\" 2>/dev/null || cd /; printf '\\036drctl-become-ok:{token}\\n' >&2; {inner}"
    );
    let (user, script) = (shell_quote(&b.user), shell_quote(&script));
    match (b.method, &b.password) {
        (BecomeMethod::Sudo, Some(_)) => format!(
            "exec sudo -S -p {} -u {user} -- /bin/sh -c {script}",
            shell_quote(&prompt(token))
        ),
        (BecomeMethod::Sudo, None) => format!("exec sudo -n -u {user} -- /bin/sh -c {script}"),
        (BecomeMethod::Su, _) => format!("exec su -s /bin/sh -c {script} {user}"),
    }
}

/// The line sent to sudo: the password and a newline. A password with a line break (or
/// NUL) is refused: sudo would read only its first line, and the rest would reach the
/// become'd shell as commands.
pub fn password_line(pw: &str) -> Result<String, &'static str> {
    if pw.contains(['\n', '\r', '\0']) {
        return Err("become_password contains a line break or NUL: refusing to send it");
    }
    Ok(format!("{pw}\n"))
}

/// What to do after some of sudo's stderr arrived.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthStep {
    /// Nothing decided yet: read more.
    Pending,
    /// sudo prompted: send the password (once).
    SendPassword,
    /// The become'd shell runs; these bytes of stderr came after the marker (the command's).
    Ready(Vec<u8>),
    Failed(String),
}

/// Watches sudo's stderr until the become'd script's marker, a prompt, or a refusal.
#[derive(Debug)]
pub struct Auth {
    token: String,
    buf: Vec<u8>,
    has_password: bool,
    prompts: usize,
}

impl Auth {
    pub fn new(token: &str, has_password: bool) -> Self {
        Self {
            token: token.into(),
            buf: Vec::new(),
            has_password,
            prompts: 0,
        }
    }

    pub fn push(&mut self, data: &[u8]) -> AuthStep {
        self.buf.extend_from_slice(data);
        let text = String::from_utf8_lossy(&self.buf).into_owned();
        let mark = ok_mark(&self.token);
        if let Some(i) = text.find(&mark) {
            // Byte offsets: the marker is ASCII, the text before it came from the same bytes.
            let at = self
                .buf
                .windows(mark.len())
                .position(|w| w == mark.as_bytes())
                .unwrap_or(i);
            return AuthStep::Ready(self.buf[at + mark.len()..].to_vec());
        }
        if text.contains("Sorry, try again") || text.contains("incorrect password") {
            return AuthStep::Failed("wrong become_password (sudo refused it)".into());
        }
        let prompts = text.matches(&prompt(&self.token)).count();
        if prompts > self.prompts {
            self.prompts = prompts;
            return match (prompts, self.has_password) {
                (1, true) => AuthStep::SendPassword,
                (_, true) => AuthStep::Failed("wrong become_password (sudo asked again)".into()),
                (_, false) => AuthStep::Failed(
                    "sudo asks for a password and the inventory gives no `become_password`".into(),
                ),
            };
        }
        AuthStep::Pending
    }

    /// Why the channel ended before the marker: sudo's own words, explained where known.
    pub fn ended(&self) -> String {
        let text = String::from_utf8_lossy(&self.buf).replace(&prompt(&self.token), "");
        let said: String = text.trim().chars().take(400).collect();
        if said.contains("a password is required") {
            "sudo needs a password for this account and the inventory gives no `become_password` (sudo -n: \"a password is required\")".into()
        } else if said.contains("must be run from a terminal") {
            format!("su needs a terminal for its password: {said}")
        } else if said.is_empty() {
            "the become command ended without a word (is sudo installed?)".into()
        } else {
            said
        }
    }
}

impl SshConnection {
    fn become_err(&self, b: &Become, msg: impl Into<String>) -> TransportError {
        TransportError::Become {
            host: self.host.name.clone(),
            how: format!("{} as {}", b.describe(), self.host.user),
            msg: msg.into(),
        }
    }

    /// Open a channel running the shell script `inner`: as the login user, or, under
    /// `become`, through sudo/su once it has authenticated. Also returns the stderr bytes
    /// that arrived after the become marker (the script's own first words).
    pub(super) fn open_exec(
        &mut self,
        login_cmd: &str,
        inner: &str,
        deadline: Instant,
        started: Instant,
        limit: Duration,
    ) -> Result<(ssh2::Channel, Vec<u8>), TransportError> {
        let mut ch = self.retry(deadline, started, limit, |s| s.channel_session())?;
        let Some(b) = self.become_as.clone() else {
            self.retry(deadline, started, limit, |_| ch.exec(login_cmd))?;
            return Ok((ch, Vec::new()));
        };
        if b.method == BecomeMethod::Su && b.password.is_some() {
            return Err(self.become_err(
                &b,
                "become_method su cannot take a password (su reads it from a terminal only); use sudo",
            ));
        }
        let token = super::remote_shell::token();
        let cmd = command(&b, &token, inner);
        self.retry(deadline, started, limit, |_| ch.exec(&cmd))?;
        let mut auth = Auth::new(&token, b.password.is_some());
        let auth_deadline = deadline.min(Instant::now() + AUTH_LIMIT);
        let mut buf = [0u8; 4096];
        loop {
            let step = match ch.stderr().read(&mut buf) {
                Ok(0) if ch.eof() => return Err(self.become_err(&b, auth.ended())),
                Ok(0) => AuthStep::Pending,
                Ok(n) => auth.push(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if ch.eof() {
                        return Err(self.become_err(&b, auth.ended()));
                    }
                    match self.wait(auth_deadline, started, limit) {
                        Ok(()) => AuthStep::Pending,
                        Err(TransportError::Timeout { .. }) if Instant::now() < deadline => {
                            return Err(self.become_err(
                                &b,
                                format!(
                                    "no answer from {} within {}s: {}",
                                    b.method.as_str(),
                                    AUTH_LIMIT.as_secs(),
                                    auth.ended()
                                ),
                            ));
                        }
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(self.lost(e)),
            };
            match step {
                AuthStep::Pending => {}
                AuthStep::SendPassword => {
                    let pw = b.password.as_ref().map(|p| p.expose()).unwrap_or_default();
                    let line = password_line(pw).map_err(|m| self.become_err(&b, m))?;
                    self.write_all(&mut ch, line.as_bytes(), deadline, started, limit)?;
                }
                AuthStep::Ready(rest) => return Ok((ch, rest)),
                // Dropping the channel closes it: sudo reads end-of-file, never more input.
                AuthStep::Failed(msg) => return Err(self.become_err(&b, msg)),
            }
        }
    }

    /// The shell commands go to now: the login user's, or the become user's.
    pub(super) fn take_shell(&mut self) -> Option<ssh2::Channel> {
        match &self.become_as {
            None => self.shell.take(),
            Some(b) => self.become_shells.remove(&become_key(b)),
        }
    }

    pub(super) fn put_shell(&mut self, ch: ssh2::Channel) {
        match &self.become_as {
            None => self.shell = Some(ch),
            Some(b) => {
                self.become_shells.insert(become_key(b), ch);
            }
        }
    }

    /// Kill a timed-out command's process group as the account it runs as.
    pub(super) fn kill_as_become(&mut self, pid: i32) -> bool {
        let cmd = kill_script(pid);
        let started = Instant::now();
        let limit = Duration::from_secs(5);
        let deadline = started + limit;
        let Ok((mut ch, _)) = self.open_exec(&cmd, &cmd, deadline, started, limit) else {
            return false;
        };
        let _ = ch.send_eof();
        while !ch.eof() {
            if super::pump(&mut ch, &mut |_, _| {}).is_err()
                || self.wait(deadline, started, limit).is_err()
            {
                return false;
            }
        }
        ch.exit_status().is_ok_and(|s| s == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drctl_transport::Secret;

    fn b(method: BecomeMethod, pw: Option<&str>) -> Become {
        Become {
            user: "svc user".into(),
            method,
            password: pw.map(Secret::new),
        }
    }

    #[test]
    fn the_password_is_never_on_the_command_line() {
        let c = command(&b(BecomeMethod::Sudo, Some("hunter2")), "t0k", "echo 'x'");
        assert!(!c.contains("hunter2"), "{c}");
        assert!(
            c.starts_with(
                "exec sudo -S -p '[drctl-become-password:t0k]' -u 'svc user' -- /bin/sh -c '"
            ),
            "{c}"
        );
        let n = command(&b(BecomeMethod::Sudo, None), "t0k", "true");
        assert!(n.starts_with("exec sudo -n -u"), "{n}");
        let s = command(&b(BecomeMethod::Su, None), "t0k", "true");
        assert!(
            s.starts_with("exec su -s /bin/sh -c '") && s.ends_with(" 'svc user'"),
            "{s}"
        );
    }

    #[test]
    fn the_script_survives_quoting_and_prints_the_marker_first() {
        // The `/bin/sh -c SCRIPT` part, run by a real shell without sudo.
        let inner = "printf '%s|' \"it's\" \"$((1+1))\"; echo done >&2";
        let c = command(&b(BecomeMethod::Sudo, None), "abc", inner);
        let sh = c.split_once(" -- ").unwrap().1;
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(sh)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "it's|2|");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "\u{1e}drctl-become-ok:abc\ndone\n"
        );
    }

    #[test]
    fn the_password_goes_once_and_a_second_prompt_fails() {
        let mut a = Auth::new("t", true);
        assert_eq!(a.push(b"[drctl-become-pass"), AuthStep::Pending);
        assert_eq!(a.push(b"word:t]"), AuthStep::SendPassword);
        assert_eq!(a.push(b"\n"), AuthStep::Pending);
        assert!(
            matches!(a.push(b"Sorry, try again.\n"), AuthStep::Failed(m) if m.contains("wrong"))
        );
        let mut a = Auth::new("t", true);
        a.push(b"[drctl-become-password:t]");
        assert!(matches!(
            a.push(b"[drctl-become-password:t]"),
            AuthStep::Failed(_)
        ));
    }

    #[test]
    fn a_password_with_a_line_break_is_never_sent() {
        assert_eq!(password_line("pw").unwrap(), "pw\n");
        assert!(password_line("pw\nrm -rf /").is_err());
        assert!(password_line("pw\r").is_err());
        assert!(password_line("p\0w").is_err());
    }

    #[test]
    fn the_marker_splits_sudo_from_the_command() {
        let mut a = Auth::new("t", false);
        assert_eq!(a.push(b"\x1edrctl-become-ok:"), AuthStep::Pending);
        assert_eq!(
            a.push(b"t\nfirst words"),
            AuthStep::Ready(b"first words".to_vec())
        );
        let mut a = Auth::new("t", false);
        assert!(
            matches!(a.push(b"[drctl-become-password:t]"), AuthStep::Failed(m) if m.contains("no `become_password`"))
        );
        let mut a = Auth::new("t", false);
        a.push(b"sudo: a password is required\n");
        assert!(a.ended().contains("no `become_password`"));
        let mut a = Auth::new("t", false);
        a.push(b"sudo: unknown user nobody2\n");
        assert_eq!(a.ended(), "sudo: unknown user nobody2");
    }
}
