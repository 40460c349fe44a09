//! File transfer over the host's SSH session: SFTP into a temporary name, then mode, rename
//! and a sha256 check on the host (upload); a sha256 on the host, SFTP into a temporary
//! local file, check, rename (download).

use std::path::Path;
use std::time::Duration;

use super::SshConnection;
use drctl_transport::{
    CommandSpec, Connection, TransferResult, TransportError, sha256_file, shell_quote,
};

impl SshConnection {
    pub(super) fn upload_file(
        &mut self,
        local: &Path,
        remote: &str,
        mode: u32,
        timeout: Duration,
    ) -> Result<TransferResult, TransportError> {
        let hn = self.host.name.clone();
        let terr = |msg: String| TransportError::Transfer {
            host: hn.clone(),
            msg,
        };
        let (bytes, want) =
            sha256_file(local).map_err(|e| terr(format!("{}: {e}", local.display())))?;
        let tmp = format!("{remote}.drctl-{}", std::process::id());
        self.with_sftp(timeout, |sftp| {
            let mut f = sftp
                .create(Path::new(&tmp))
                .map_err(|e| format!("create {tmp}: {}", e.message()))?;
            let mut src = std::fs::File::open(local).map_err(|e| e.to_string())?;
            copy_big(&mut src, &mut f).map_err(|e| format!("write {tmp}: {e}"))?;
            Ok(())
        })
        .map_err(&terr)?;
        let q = shell_quote;
        let cmd = format!(
            "chmod {mode:o} {t} && mv -f {t} {r} && sha256sum {r}",
            t = q(&tmp),
            r = q(remote)
        );
        let out = self.exec(&CommandSpec {
            command: cmd,
            env: vec![],
            timeout,
        })?;
        let got = out
            .stdout
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        if out.exit != 0 {
            return Err(terr(format!(
                "installing {remote} failed: {}",
                out.stderr.trim()
            )));
        }
        if got != want {
            return Err(terr(format!(
                "checksum mismatch for {remote}: sent {want}, host has {got}"
            )));
        }
        Ok(TransferResult { bytes, sha256: got })
    }

    pub(super) fn download_file(
        &mut self,
        remote: &str,
        local: &Path,
        timeout: Duration,
    ) -> Result<TransferResult, TransportError> {
        let hn = self.host.name.clone();
        let terr = |msg: String| TransportError::Transfer {
            host: hn.clone(),
            msg,
        };
        let out = self.exec(&CommandSpec {
            command: format!("sha256sum {}", shell_quote(remote)),
            env: vec![],
            timeout,
        })?;
        if out.exit != 0 {
            return Err(terr(format!("{remote}: {}", out.stderr.trim())));
        }
        let want = out
            .stdout
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let dir = local
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| terr(format!("{}: {e}", dir.display())))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| terr(e.to_string()))?;
        self.with_sftp(timeout, |sftp| {
            let mut f = sftp
                .open(Path::new(remote))
                .map_err(|e| format!("open {remote}: {}", e.message()))?;
            copy_big(&mut f, tmp.as_file_mut()).map_err(|e| format!("read {remote}: {e}"))?;
            Ok(())
        })
        .map_err(&terr)?;
        let (bytes, got) = sha256_file(tmp.path()).map_err(|e| terr(e.to_string()))?;
        if got != want {
            return Err(terr(format!(
                "checksum mismatch for {remote}: host has {want}, received {got}"
            )));
        }
        tmp.persist(local)
            .map_err(|e| terr(format!("{}: {e}", local.display())))?;
        Ok(TransferResult { bytes, sha256: got })
    }
}

/// Copy in 256 KiB pieces: libssh2's SFTP pipelines a large write or read into many
/// packets, where `io::copy`'s 8 KiB pieces cost a round trip each.
fn copy_big(from: &mut impl std::io::Read, to: &mut impl std::io::Write) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
}
