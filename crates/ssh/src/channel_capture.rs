//! A channel's output read without blocking and captured bounded, and signal numbers.

use std::io::{ErrorKind, Read};

use drctl_transport::Output;
use drctl_transport::capture::Capture;

use crate::PID_MARK;

/// Read whatever a channel has on stdout and stderr without blocking, handing each piece
/// to `sink` (`true`: stderr); whether anything came.
pub(crate) fn pump(
    ch: &mut ssh2::Channel,
    sink: &mut dyn FnMut(bool, &[u8]),
) -> std::io::Result<bool> {
    thread_local! {
        /// One read buffer per thread, allocated once (zeroed by the allocator, so its pages
        /// become resident only as far as reads fill them): a 32 KiB array on the stack
        /// was zeroed, and made resident, on every call of every host's thread.
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 32 * 1024]);
    }
    BUF.with_borrow_mut(|buf| {
        let mut progressed = false;
        for stderr in [false, true] {
            let res = if stderr {
                ch.stderr().read(buf)
            } else {
                ch.read(buf)
            };
            match res {
                Ok(0) => {}
                Ok(n) => {
                    progressed = true;
                    sink(stderr, &buf[..n]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(progressed)
    })
}

/// A channel-per-command's output, captured bounded; the first stderr line carries the
/// remote pid.
#[derive(Default)]
pub(crate) struct ChannelCapture {
    out: Capture,
    err: Capture,
    /// stderr until its first newline (the pid line), at most a few bytes.
    first: Vec<u8>,
    first_done: bool,
    pub(crate) pid: Option<i32>,
}

impl ChannelCapture {
    pub(crate) fn push(&mut self, stderr: bool, mut data: &[u8]) {
        if !stderr {
            self.out.push(data);
            return;
        }
        if !self.first_done {
            match data.iter().position(|b| *b == b'\n') {
                Some(nl) => {
                    self.first.extend_from_slice(&data[..=nl]);
                    data = &data[nl + 1..];
                    self.end_first();
                }
                None => {
                    self.first.extend_from_slice(data);
                    if self.first.len() > 64 {
                        self.end_first();
                    }
                    return;
                }
            }
        }
        self.err.push(data);
    }

    pub(crate) fn end_first(&mut self) {
        self.first_done = true;
        let first = std::mem::take(&mut self.first);
        let text = String::from_utf8_lossy(&first);
        match text.strip_prefix(PID_MARK) {
            Some(rest) => self.pid = rest.trim().parse().ok(),
            None => self.err.push(&first),
        }
    }

    pub(crate) fn output(&self, exit: i32) -> Output {
        let mut err = self.err.clone();
        if !self.first_done && !String::from_utf8_lossy(&self.first).starts_with(PID_MARK) {
            err.push(&self.first);
        }
        Output::from_streams(exit, self.out.snapshot(), err.finish())
    }
}

pub(crate) fn signal_number(name: &str) -> i32 {
    match name {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "KILL" => 9,
        "SEGV" => 11,
        "PIPE" => 13,
        "TERM" => 15,
        _ => 0,
    }
}
