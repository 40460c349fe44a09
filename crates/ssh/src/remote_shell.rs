//! The framing of commands sent to one long-lived remote shell per host (`$SHELL -s` over
//! one SSH channel), so a step costs the remote host a fork, not a new SSH session, a new
//! login shell and an exec.
//!
//! Each command runs as a background job of that shell with job control on (`set -m`), so
//! it is its own process group (killable as a whole on a timeout), with stdin from
//! `/dev/null`, inside a subshell (an `exit` or `cd` in it cannot touch the driver), through
//! `eval` of a single-quoted string (a syntax error in it stays in it). The driver then
//! prints the job's pid on stderr, waits, and ends both streams with a marker carrying a
//! random token and the exit status.

use drctl_transport::{Output, shell_quote};

const MARK: char = '\u{1e}';

/// First line sent to a new remote shell: job control on (each job its own process group).
pub const BOOTSTRAP: &str = "set -m 2>/dev/null; PS1=; PS2=\n";

/// The text to send for one command; `token` must be unique to it.
pub fn wrap(script: &str, token: &str) -> String {
    let q = shell_quote(script);
    format!(
        "( exec </dev/null; eval {q} ) & __drctl_p=$!; printf '{MARK}drctl-pid:%s:{token}\\n' \"$__drctl_p\" >&2; wait \"$__drctl_p\"; __drctl_s=$?; printf '\\n{MARK}drctl-end:{token}:%s\\n' \"$__drctl_s\"; printf '\\n{MARK}drctl-end:{token}\\n' >&2\n"
    )
}

/// What has arrived so far for one command.
#[derive(Debug, Default)]
pub struct Frame {
    pub out: Vec<u8>,
    pub err: Vec<u8>,
    /// How far each stream was already searched for its end marker: each new chunk is
    /// scanned once, not the whole output again on every read.
    out_seen: usize,
    err_seen: usize,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `find` from `*seen` (less a needle's length, for a marker split across reads); remembers
/// how far it got.
fn find_from(hay: &[u8], needle: &[u8], seen: &mut usize) -> Option<usize> {
    let from = (*seen).saturating_sub(needle.len()).min(hay.len());
    let hit = find(&hay[from..], needle).map(|i| from + i);
    if hit.is_none() {
        *seen = hay.len();
    }
    hit
}

impl Frame {
    /// The remote job's pid (its process group), once announced.
    pub fn pid(&self, token: &str) -> Option<i32> {
        let start = format!("{MARK}drctl-pid:");
        let text = String::from_utf8_lossy(&self.err);
        let at = text.find(&start)?;
        let rest = &text[at + start.len()..];
        let (pid, tail) = rest.split_once(':')?;
        tail.starts_with(token).then(|| pid.parse().ok())?
    }

    /// The finished command, once both end markers have arrived.
    pub fn finished(&mut self, token: &str) -> Option<Output> {
        let out_mark = format!("\n{MARK}drctl-end:{token}:");
        let err_mark = format!("\n{MARK}drctl-end:{token}\n");
        let o = find_from(&self.out, out_mark.as_bytes(), &mut self.out_seen)?;
        let status_at = o + out_mark.len();
        let nl = self.out[status_at..].iter().position(|b| *b == b'\n')?;
        let exit = String::from_utf8_lossy(&self.out[status_at..status_at + nl])
            .trim()
            .parse()
            .unwrap_or(-1);
        let e = find_from(&self.err, err_mark.as_bytes(), &mut self.err_seen)?;
        Some(Output {
            exit,
            stdout: String::from_utf8_lossy(&self.out[..o]).into_owned(),
            stderr: self.stderr_without_pid(&self.err[..e], token),
        })
    }

    /// Output so far (for a command that timed out or was cut off).
    pub fn partial(&self, token: &str) -> Output {
        Output {
            exit: -1,
            stdout: String::from_utf8_lossy(&self.out).into_owned(),
            stderr: self.stderr_without_pid(&self.err, token),
        }
    }

    fn stderr_without_pid(&self, err: &[u8], token: &str) -> String {
        let text = String::from_utf8_lossy(err);
        let start = format!("{MARK}drctl-pid:");
        match text.find(&start) {
            Some(at) => {
                let end = text[at..]
                    .find(&format!(":{token}\n"))
                    .map_or(text.len(), |i| at + i + token.len() + 2);
                format!("{}{}", &text[..at], &text[end..])
            }
            None => text.into_owned(),
        }
    }
}

/// A fresh token for one command.
pub fn token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let h = drctl_transport::sha256_hex(format!("{}:{n}:{nanos}", std::process::id()).as_bytes());
    h[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// The framing against a real local shell, as the remote one would run it.
    fn run_local(shell: &str, cmds: &[&str]) -> Vec<Output> {
        let tokens: Vec<String> = cmds.iter().map(|_| token()).collect();
        let mut input = BOOTSTRAP.to_string();
        for (c, t) in cmds.iter().zip(&tokens) {
            input.push_str(&wrap(c, t));
        }
        let mut child = Command::new(shell)
            .arg("-s")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        // Cut the streams per command, as the reader does.
        let mut frame = Frame {
            out: out.stdout,
            err: out.stderr,
            ..Default::default()
        };
        let mut res = Vec::new();
        for t in &tokens {
            let o = frame.finished(t).expect("both markers");
            let om = format!("\n{MARK}drctl-end:{t}:");
            let cut = find(&frame.out, om.as_bytes()).unwrap() + om.len();
            let nl = frame.out[cut..].iter().position(|b| *b == b'\n').unwrap();
            frame.out.drain(..cut + nl + 1);
            let em = format!("\n{MARK}drctl-end:{t}\n");
            let cut = find(&frame.err, em.as_bytes()).unwrap() + em.len();
            frame.err.drain(..cut);
            frame.out_seen = 0;
            frame.err_seen = 0;
            res.push(o);
        }
        res
    }

    #[test]
    fn commands_are_framed_isolated_and_keep_their_output_and_status() {
        for shell in ["/bin/bash", "/bin/sh"] {
            framed_in(shell);
        }
    }

    fn framed_in(shell: &str) {
        let r = run_local(
            shell,
            &[
                "echo hi; echo oops >&2; exit 3",
                "printf 'no newline'",
                "cd /; x=1; exit 0",
                "echo \"$x\" \"$PWD\" | tr -d '\\n'; read line; echo \"read:$?\"",
                "if then fi",
                "cat <<EOF\nhere 'doc'\nEOF",
                "kill -TERM $(exec sh -c 'echo $PPID')",
                "echo after",
            ],
        );
        assert_eq!(
            (r[0].exit, r[0].stdout.as_str(), r[0].stderr.as_str()),
            (3, "hi\n", "oops\n")
        );
        assert_eq!(r[1].stdout, "no newline");
        assert_eq!(r[2].exit, 0);
        assert!(
            !r[3].stdout.starts_with("1 /"),
            "state leaked between commands: {:?}",
            r[3].stdout
        );
        assert!(
            r[3].stdout.ends_with("read:1\n"),
            "stdin must be /dev/null: {:?}",
            r[3].stdout
        );
        assert_eq!(
            r[4].exit, 2,
            "a syntax error stays in its command: {:?}",
            r[4]
        );
        assert_eq!(r[5].stdout, "here 'doc'\n");
        assert_eq!(r[6].exit, 143);
        assert_eq!(
            (r[7].stdout.as_str(), r[7].stderr.as_str()),
            ("after\n", ""),
            "{:?}",
            r[6]
        );
    }

    #[test]
    fn a_marker_split_across_reads_is_found() {
        let mut f = Frame::default();
        let whole = b"lots of output\n\x1edrctl-end:tok:7\n";
        for chunk in whole.chunks(5) {
            assert!(f.finished("tok").is_none());
            f.out.extend_from_slice(chunk);
        }
        f.err
            .extend_from_slice("\n\u{1e}drctl-end:tok\n".as_bytes());
        let o = f.finished("tok").expect("found");
        assert_eq!((o.exit, o.stdout.as_str()), (7, "lots of output"));
    }

    #[test]
    fn the_pid_line_is_found_and_removed_from_stderr() {
        let t = "abc";
        let mut f = Frame {
            out: b"x\n\x1edrctl-end:abc:0\n".to_vec(),
            err: "warn\n\u{1e}drctl-pid:4242:abc\nmore\n\n\u{1e}drctl-end:abc\n"
                .as_bytes()
                .to_vec(),
            ..Default::default()
        };
        assert_eq!(f.pid(t), Some(4242));
        let o = f.finished(t).unwrap();
        assert_eq!(
            (o.exit, o.stdout.as_str(), o.stderr.as_str()),
            (0, "x", "warn\nmore\n")
        );
        assert_eq!(f.pid("other"), None);
    }
}
