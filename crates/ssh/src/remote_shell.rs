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

use drctl_transport::capture::Capture;
use drctl_transport::{Output, shell_quote};

const MARK: char = '\u{1e}';

/// First line sent to a new remote shell: job control on (each job its own process group).
pub const BOOTSTRAP: &str = "set -m 2>/dev/null; PS1=; PS2=\n";

/// The text to send for one command; `token` must be unique to it. After the job, the end
/// marker says whether anything of its process group is still alive (`:1`, a background
/// job it left, which may still write to the shell's streams).
pub fn wrap(script: &str, token: &str) -> String {
    let q = shell_quote(script);
    format!(
        "( exec </dev/null; eval {q} ) & __drctl_p=$!; printf '{MARK}drctl-pid:%s:{token}\\n' \"$__drctl_p\" >&2; wait \"$__drctl_p\"; __drctl_s=$?; __drctl_l=0; kill -0 -\"$__drctl_p\" 2>/dev/null && __drctl_l=1; printf '\\n{MARK}drctl-end:{token}:%s:%s\\n' \"$__drctl_s\" \"$__drctl_l\"; printf '\\n{MARK}drctl-end:{token}\\n' >&2\n"
    )
}

/// Position of `needle` (which contains [`MARK`]) in `hay`, looking only at MARK bytes.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let k = needle.iter().position(|b| *b == MARK as u8)?;
    let mut from = k;
    while from < hay.len() {
        let at = from + hay[from..].iter().position(|b| *b == MARK as u8)?;
        if at >= k && hay[at - k..].starts_with(needle) {
            return Some(at - k);
        }
        from = at + 1;
    }
    None
}

/// One stream of one command: bytes not yet known to be output (a marker may start in
/// them) and the bounded capture of the rest.
#[derive(Debug, Default)]
struct Scan {
    pending: Vec<u8>,
    cap: Capture,
    done: bool,
}

impl Scan {
    /// Commit all pending bytes but the last `keep` to the capture.
    fn commit(&mut self, keep: usize) {
        if self.pending.len() > keep {
            let n = self.pending.len() - keep;
            self.cap.push(&self.pending[..n]);
            self.pending.drain(..n);
        }
    }

    fn snapshot(&self) -> drctl_transport::capture::Stream {
        let mut c = self.cap.clone();
        c.push(&self.pending);
        c.finish()
    }
}

/// What has arrived so far for one command, streamed: output is captured bounded (see
/// `drctl_transport::capture`) while the framing markers are looked for.
#[derive(Debug)]
pub struct Frame {
    token: String,
    out: Scan,
    err: Scan,
    pid: Option<i32>,
    exit: i32,
    /// Something of the command's process group outlived it (a background job).
    pub left_behind: bool,
    /// Bytes came after an end marker: something else still writes to the shell's streams.
    pub trailing: bool,
}

impl Frame {
    pub fn new(token: &str) -> Self {
        Frame {
            token: token.to_string(),
            out: Scan::default(),
            err: Scan::default(),
            pid: None,
            exit: -1,
            left_behind: false,
            trailing: false,
        }
    }

    /// Has anything at all arrived?
    pub fn is_empty(&self) -> bool {
        self.out.cap.is_empty()
            && self.out.pending.is_empty()
            && self.err.cap.is_empty()
            && self.err.pending.is_empty()
    }

    pub fn push_out(&mut self, data: &[u8]) {
        if self.out.done {
            self.trailing |= !data.is_empty();
            return;
        }
        self.out.pending.extend_from_slice(data);
        let mark = format!("\n{MARK}drctl-end:{}:", self.token);
        match find(&self.out.pending, mark.as_bytes()) {
            Some(i) => {
                let status_at = i + mark.len();
                match self.out.pending[status_at..]
                    .iter()
                    .position(|b| *b == b'\n')
                {
                    Some(nl) => {
                        let status =
                            String::from_utf8_lossy(&self.out.pending[status_at..status_at + nl])
                                .into_owned();
                        let mut parts = status.trim().split(':');
                        self.exit = parts.next().and_then(|x| x.parse().ok()).unwrap_or(-1);
                        self.left_behind = parts.next() == Some("1");
                        self.trailing |= self.out.pending.len() > status_at + nl + 1;
                        self.out.pending.truncate(i);
                        self.out.commit(0);
                        self.out.done = true;
                    }
                    None => {
                        // The status is on its way: keep the marker, commit what precedes it.
                        let tail = self.out.pending.len() - i;
                        self.out.commit(tail);
                    }
                }
            }
            None => self.out.commit(mark.len() - 1),
        }
    }

    pub fn push_err(&mut self, data: &[u8]) {
        if self.err.done {
            self.trailing |= !data.is_empty();
            return;
        }
        self.err.pending.extend_from_slice(data);
        let pid_mark = format!("{MARK}drctl-pid:");
        let pid_end = format!(":{}\n", self.token);
        let end_mark = format!("\n{MARK}drctl-end:{}\n", self.token);
        if self.pid.is_none()
            && let Some(i) = find(&self.err.pending, pid_mark.as_bytes())
        {
            let rest = &self.err.pending[i + pid_mark.len()..];
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            let after = &rest[digits..];
            let want = pid_end.as_bytes();
            if after.len() >= want.len() && after.starts_with(want) {
                self.pid = String::from_utf8_lossy(&rest[..digits]).parse().ok();
                let line_end = i + pid_mark.len() + digits + want.len();
                self.err.pending.drain(i..line_end);
            } else if after.len() < want.len() && want.starts_with(after) && digits < 12 {
                // The line is still arriving: hold it back.
                let tail = self.err.pending.len() - i;
                self.err.commit(tail);
                return;
            }
            // Else not our line (another token, or text): ordinary output.
        }
        match find(&self.err.pending, end_mark.as_bytes()) {
            Some(i) => {
                self.trailing |= self.err.pending.len() > i + end_mark.len();
                self.err.pending.truncate(i);
                self.err.commit(0);
                self.err.done = true;
            }
            None => self
                .err
                .commit(end_mark.len().max(pid_mark.len() + 12 + pid_end.len())),
        }
    }

    /// The remote job's pid (its process group), once announced.
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }

    /// Have both end markers arrived?
    pub fn is_finished(&self) -> bool {
        self.out.done && self.err.done
    }

    /// The finished command (call once [`Frame::is_finished`]).
    pub fn output(&self) -> Output {
        Output::from_streams(self.exit, self.out.snapshot(), self.err.snapshot())
    }

    /// Output so far (for a command that timed out or was cut off).
    pub fn partial(&self) -> Output {
        Output::from_streams(-1, self.out.snapshot(), self.err.snapshot())
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
        // Cut the streams per command, then feed each command's part in small pieces.
        let (mut o, mut e) = (&out.stdout[..], &out.stderr[..]);
        let mut res = Vec::new();
        for t in &tokens {
            let om = format!("\n{MARK}drctl-end:{t}:");
            let cut = find(o, om.as_bytes()).unwrap() + om.len();
            let nl = o[cut..].iter().position(|b| *b == b'\n').unwrap();
            let (mine, rest) = o.split_at(cut + nl + 1);
            o = rest;
            let em = format!("\n{MARK}drctl-end:{t}\n");
            let cut = find(e, em.as_bytes()).unwrap() + em.len();
            let (mine_e, rest_e) = e.split_at(cut);
            e = rest_e;
            let mut f = Frame::new(t);
            for c in mine.chunks(7) {
                f.push_out(c);
            }
            for c in mine_e.chunks(5) {
                f.push_err(c);
            }
            assert!(f.is_finished() && !f.trailing);
            assert!(f.pid().is_some());
            res.push(f.output());
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
        let mut f = Frame::new("tok");
        let whole = b"lots of output\n\x1edrctl-end:tok:7:1\n";
        for chunk in whole.chunks(5) {
            assert!(!f.is_finished());
            f.push_out(chunk);
        }
        f.push_err("\n\u{1e}drctl-end:tok\n".as_bytes());
        assert!(f.is_finished());
        let o = f.output();
        assert_eq!((o.exit, o.stdout.as_str()), (7, "lots of output"));
        assert!(f.left_behind && !f.trailing);
        f.push_out(b"late");
        assert!(f.trailing);
    }

    #[test]
    fn the_pid_line_is_found_and_removed_from_stderr() {
        let t = "abc";
        let mut f = Frame::new(t);
        f.push_out(b"x\n\x1edrctl-end:abc:0:0\n");
        let err = "warn\n\u{1e}drctl-pid:4242:abc\nmore\n\u{1e}drctl-pid:1:other\n\n\u{1e}drctl-end:abc\n";
        for c in err.as_bytes().chunks(3) {
            f.push_err(c);
        }
        assert_eq!(f.pid(), Some(4242));
        let o = f.output();
        assert_eq!(
            (o.exit, o.stdout.as_str(), o.stderr.as_str()),
            (0, "x", "warn\nmore\n\u{1e}drctl-pid:1:other\n")
        );
        assert!(!f.left_behind);
    }

    #[test]
    fn huge_output_is_bounded_and_digested() {
        let mut f = Frame::new("t");
        let line = vec![b'y'; 1 << 20];
        for _ in 0..50 {
            f.push_out(&line);
        }
        f.push_out(b"\n\x1edrctl-end:t:0:0\n");
        f.push_err(b"\n\x1edrctl-end:t\n");
        let o = f.output();
        assert_eq!(o.stdout_len, 50 << 20);
        assert!(o.stdout.len() < 200 << 10);
        assert!(o.stdout_cut());
    }
}
