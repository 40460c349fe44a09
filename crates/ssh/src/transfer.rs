//! File transfer as a plain byte stream over one SSH exec channel (`tee` into a file on the
//! host, `tail -c +N` of it), the way `scp` moves data, instead of SFTP's request per
//! block. Both ends compute sha256 while the bytes stream (the controller reads each byte
//! of the file once); the file is staged under a fixed temporary name beside its
//! destination (`.NAME.drctl-part`), checked, fsync'd, given its mode and only then renamed
//! into place, so a reader never sees a partial file under the final name. A transfer that
//! was interrupted (drctl killed, the link dropped) leaves its staged part: the next one
//! sends only the rest, and the checksum of the whole file decides (a stale part that does
//! not match is removed, so the retry after starts from zero).

use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::SshConnection;
use drctl_transport::capture::Capture;
use drctl_transport::{CommandSpec, Connection, TransferResult, TransportError, shell_quote};

const CHUNK: usize = 256 * 1024;

/// The host's sha256 tool: OpenSSL's (SHA extensions, ~3× coreutils' speed here, and the
/// host hashes while the bytes arrive) when it has one, else `sha256sum`. Both print the
/// hash first.
const HASHER: &str =
    "H=sha256sum; command -v openssl >/dev/null 2>&1 && H='openssl dgst -sha256 -r'; ";

/// The staged name of a remote destination.
fn remote_part(path: &str) -> (String, String) {
    let (dir, base) = match path.rsplit_once('/') {
        Some(("", b)) => ("/".to_string(), b),
        Some((d, b)) => (d.to_string(), b),
        None => (".".to_string(), path),
    };
    let sep = if dir.ends_with('/') { "" } else { "/" };
    (format!("{dir}{sep}.{base}.drctl-part"), dir)
}

/// The staged name of a local destination.
fn local_part(path: &Path) -> (PathBuf, PathBuf) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir.join(format!(".{base}.drctl-part")), dir)
}

fn first_hash(s: &str) -> String {
    s.split_whitespace().next().unwrap_or_default().to_string()
}

impl SshConnection {
    fn terr(&self, msg: impl std::fmt::Display) -> TransportError {
        TransportError::Transfer {
            host: self.host.name.clone(),
            msg: msg.to_string(),
        }
    }

    fn control(&mut self, cmd: String, timeout: Duration) -> Result<String, TransportError> {
        let out = self.exec(&CommandSpec {
            command: cmd,
            env: vec![],
            timeout,
        })?;
        if out.exit != 0 {
            return Err(self.terr(out.stderr.trim()));
        }
        Ok(out.stdout)
    }

    /// Open an exec channel running `cmd`, hand it to `body`, then collect its stdout and
    /// stderr (bounded) and exit status. Errors after the command started are in doubt
    /// only in the sense of a partial staged file, never of the destination.
    fn stream(
        &mut self,
        cmd: &str,
        deadline: Instant,
        started: Instant,
        limit: Duration,
        body: &mut dyn FnMut(&Self, &mut ssh2::Channel) -> Result<(), TransportError>,
    ) -> Result<(i32, String, String), TransportError> {
        // Under `become` the command runs as the become user (files land owned by it).
        let (mut ch, early) = self.open_exec(cmd, cmd, deadline, started, limit)?;
        body(self, &mut ch)?;
        let _ = self.retry(deadline, started, limit, |_| ch.send_eof());
        let (mut out, mut err) = (Capture::default(), Capture::default());
        err.push(&early);
        loop {
            let progressed = super::pump(&mut ch, &mut |e, d| {
                if e { err.push(d) } else { out.push(d) }
            })
            .map_err(|e| self.lost(e))?;
            if ch.eof() {
                break;
            }
            if !progressed {
                self.wait(deadline, started, limit)?;
            }
        }
        let _ = self.retry(deadline, started, limit, |_| ch.wait_close());
        Ok((
            ch.exit_status().unwrap_or(-1),
            out.finish().text,
            err.finish().text,
        ))
    }

    pub(super) fn upload_file(
        &mut self,
        local: &Path,
        remote: &str,
        mode: u32,
        timeout: Duration,
    ) -> Result<TransferResult, TransportError> {
        let started = Instant::now();
        let deadline = started + timeout;
        let mut src = std::fs::File::open(local)
            .map_err(|e| self.terr(format!("{}: {e}", local.display())))?;
        let size = src
            .metadata()
            .map_err(|e| self.terr(format!("{}: {e}", local.display())))?
            .len();
        let (part, dir) = remote_part(remote);
        let (q, qd, qr) = (shell_quote(&part), shell_quote(&dir), shell_quote(remote));
        // What an interrupted upload left.
        let have = self
            .control(
                format!("if [ -f {q} ]; then wc -c < {q}; else echo 0; fi"),
                timeout,
            )?
            .trim()
            .parse::<u64>()
            .unwrap_or(0);
        let have = if have > size { 0 } else { have };
        let mut h = Sha256::new();
        let mut buf = vec![0u8; CHUNK];
        // The bytes already there are hashed here, not sent; the host hashes its copy of
        // them with the rest, and the whole file's checksum decides.
        let mut left = have;
        while left > 0 {
            let n = src
                .read(&mut buf[..CHUNK.min(left as usize)])
                .map_err(|e| self.terr(e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            left -= n as u64;
        }
        let cmd = if have > 0 {
            format!("{HASHER}{{ cat -- {q}; tee -a -- {q}; }} | $H")
        } else {
            format!("{HASHER}umask 077; tee -- {q} | $H")
        };
        let (exit, out, err) = self.stream(&cmd, deadline, started, timeout, &mut |me, ch| {
            loop {
                let n = match src.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(me.terr(format!("{}: {e}", local.display()))),
                };
                h.update(&buf[..n]);
                me.write_all(ch, &buf[..n], deadline, started, timeout)?;
            }
        })?;
        let want = hex::encode(h.finalize());
        let got = first_hash(&out);
        if exit != 0 || got != want {
            let _ = self.control(format!("rm -f -- {q}"), timeout);
            return Err(self.terr(if exit != 0 {
                format!("writing {part} failed: {}", err.trim())
            } else {
                format!("checksum mismatch for {remote}: sent {want}, host has {got}")
            }));
        }
        // Only a checked file gets its mode and name; fsync'd first, its folder after.
        self.control(
            format!(
                "chmod {mode:o} -- {q} && {{ sync -- {q} 2>/dev/null || sync; }} && mv -f -- {q} {qr} && {{ sync -- {qd} 2>/dev/null || :; }}"
            ),
            timeout,
        )
        .map_err(|e| self.terr(format!("installing {remote} failed: {e}")))?;
        Ok(TransferResult {
            bytes: size,
            sha256: want,
            resumed_from: have,
        })
    }

    pub(super) fn download_file(
        &mut self,
        remote: &str,
        local: &Path,
        timeout: Duration,
    ) -> Result<TransferResult, TransportError> {
        let started = Instant::now();
        let deadline = started + timeout;
        let (part, dir) = local_part(local);
        std::fs::create_dir_all(&dir).map_err(|e| self.terr(format!("{}: {e}", dir.display())))?;
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&part)
            .map_err(|e| self.terr(format!("{}: {e}", part.display())))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; CHUNK];
        // An interrupted download's part: hashed (each byte read once), the rest asked for.
        let mut have = 0u64;
        f.seek(SeekFrom::Start(0)).map_err(|e| self.terr(e))?;
        loop {
            let n = f.read(&mut buf).map_err(|e| self.terr(e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            have += n as u64;
        }
        let r = shell_quote(remote);
        let cmd = format!(
            "[ -r {r} ] || {{ echo \"cannot read {remote}\" >&2; exit 2; }}; {HASHER}$H < {r} >&2 & tail -c +{} -- {r}; s=$?; wait $! || exit 3; exit $s",
            have + 1
        );
        let mut bytes = have;
        let mut write_err = None;
        let mut early_err = Vec::new();
        let (exit, _out, err) = self.stream(&cmd, deadline, started, timeout, &mut |me, ch| {
            let _ = ch.send_eof();
            loop {
                let mut progressed = false;
                match ch.read(&mut buf) {
                    Ok(0) => {}
                    Ok(n) => {
                        progressed = true;
                        h.update(&buf[..n]);
                        bytes += n as u64;
                        if write_err.is_none()
                            && let Err(e) = f.write_all(&buf[..n])
                        {
                            write_err = Some(e);
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => return Err(me.lost(e)),
                }
                if !progressed {
                    // stderr is small (the checksum line) but must flow too: the channel
                    // is at its end only once it is read.
                    let mut tmp = [0u8; 4096];
                    match ch.stderr().read(&mut tmp) {
                        Ok(n) if n > 0 => {
                            progressed = true;
                            if early_err.len() < 64 * 1024 {
                                early_err.extend_from_slice(&tmp[..n]);
                            }
                        }
                        Ok(_) => {}
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => return Err(me.lost(e)),
                    }
                }
                if !progressed {
                    if ch.eof() {
                        return Ok(());
                    }
                    me.wait(deadline, started, timeout)?;
                }
            }
        })?;
        let err = format!("{}{err}", String::from_utf8_lossy(&early_err));
        if let Some(e) = write_err {
            return Err(self.terr(format!("{}: {e}", part.display())));
        }
        let got = hex::encode(h.finalize());
        let want = first_hash(&err);
        if exit != 0 || got != want {
            let _ = std::fs::remove_file(&part);
            return Err(self.terr(if exit != 0 {
                format!("{remote}: {}", err.trim())
            } else {
                format!("checksum mismatch for {remote}: host has {want}, received {got}")
            }));
        }
        f.sync_all().map_err(|e| self.terr(e))?;
        drop(f);
        use std::os::unix::fs::PermissionsExt;
        // An existing file keeps its mode; a new one is 0644 (less the umask's reach).
        let mode = std::fs::metadata(local)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        std::fs::set_permissions(&part, std::fs::Permissions::from_mode(mode))
            .map_err(|e| self.terr(e))?;
        std::fs::rename(&part, local)
            .map_err(|e| self.terr(format!("{}: {e}", local.display())))?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(TransferResult {
            bytes,
            sha256: got,
            resumed_from: have,
        })
    }
}
