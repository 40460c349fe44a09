//! Bounded capture of a command's output stream: the first and last [`KEEP`] bytes are kept,
//! every byte is counted and goes through sha256 while streaming, so a command printing
//! gigabytes costs the controller a few hundred KiB per stream, and the journal's digest
//! still covers all of it.

use sha2::{Digest, Sha256};

/// Bytes kept at each end of a stream: the first `KEEP` and the last `KEEP`.
pub const KEEP: usize = 64 * 1024;

/// One stream being captured.
#[derive(Clone)]
pub struct Capture {
    head: Vec<u8>,
    /// The latest bytes past the head; trimmed to `KEEP` now and then (at most `2 × KEEP`).
    tail: Vec<u8>,
    total: u64,
    hash: Sha256,
}

impl Default for Capture {
    fn default() -> Self {
        Self {
            head: Vec::new(),
            tail: Vec::new(),
            total: 0,
            hash: Sha256::new(),
        }
    }
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("total", &self.total)
            .finish()
    }
}

/// A finished stream: the text kept and what the whole was.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    /// The whole stream when it is at most `2 × KEEP` bytes; else its first `KEEP` bytes, a
    /// line saying how many bytes were left out, and its last `KEEP` bytes.
    pub text: String,
    /// Bytes the stream really had.
    pub len: u64,
    /// sha256 hex of all of them.
    pub sha256: String,
}

impl Capture {
    pub fn push(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        self.hash.update(data);
        if self.head.len() < KEEP {
            let n = (KEEP - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        if data.len() >= KEEP {
            self.tail.clear();
            self.tail.extend_from_slice(&data[data.len() - KEEP..]);
        } else {
            self.tail.extend_from_slice(data);
            if self.tail.len() > 2 * KEEP {
                self.tail.drain(..self.tail.len() - KEEP);
            }
        }
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The text kept and the stream's size and digest so far (the capture goes on).
    pub fn snapshot(&self) -> Stream {
        self.clone().finish()
    }

    pub fn finish(self) -> Stream {
        let omitted = self.total - self.head.len() as u64 - self.tail.len() as u64;
        let text = if omitted == 0 && self.tail.len() <= KEEP {
            let mut all = self.head;
            all.extend_from_slice(&self.tail);
            String::from_utf8_lossy(&all).into_owned()
        } else {
            let cut = self.tail.len().saturating_sub(KEEP);
            let omitted = omitted + cut as u64;
            format!(
                "{}\n[drctl: {omitted} bytes not kept]\n{}",
                String::from_utf8_lossy(&self.head),
                String::from_utf8_lossy(&self.tail[cut..])
            )
        };
        Stream {
            text,
            len: self.total,
            sha256: hex::encode(self.hash.finalize()),
        }
    }
}

/// The journal's digest of a command's output: sha256 of the two streams' sha256 hex, one
/// per line (`sha256sum`-style: `OUT\nERR\n`), computable while streaming.
pub fn digest(stdout_sha256: &str, stderr_sha256: &str) -> String {
    crate::sha256_hex(format!("{stdout_sha256}\n{stderr_sha256}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_streams_are_kept_whole() {
        let mut c = Capture::default();
        c.push(b"hello ");
        c.push(b"world");
        let s = c.finish();
        assert_eq!(s.text, "hello world");
        assert_eq!(s.len, 11);
        assert_eq!(s.sha256, crate::sha256_hex(b"hello world"));
    }

    #[test]
    fn big_streams_keep_both_ends_and_count_everything() {
        let mut c = Capture::default();
        let mut all = Vec::new();
        for i in 0..1000u32 {
            let chunk = format!("{i:05} {}\n", "x".repeat(i as usize % 700));
            c.push(chunk.as_bytes());
            all.extend_from_slice(chunk.as_bytes());
        }
        let s = c.finish();
        assert_eq!(s.len, all.len() as u64);
        assert_eq!(s.sha256, crate::sha256_hex(&all));
        let head = String::from_utf8_lossy(&all[..KEEP]);
        let tail = String::from_utf8_lossy(&all[all.len() - KEEP..]);
        assert!(s.text.starts_with(&*head));
        assert!(s.text.ends_with(&*tail));
        let omitted = all.len() - 2 * KEEP;
        assert!(
            s.text
                .contains(&format!("[drctl: {omitted} bytes not kept]"))
        );
        assert!(s.text.len() < 2 * KEEP + 100);
        // One huge push behaves the same.
        let mut c = Capture::default();
        c.push(&all);
        assert_eq!(c.finish().text, s.text);
    }
}
