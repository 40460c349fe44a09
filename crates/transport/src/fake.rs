//! A scripted transport for fast unit tests of the engine: every call is logged, and a
//! closure decides each command's result. Never a stand-in for the SSH tests.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{CommandSpec, Connection, Connector, Output, TransferResult, TransportError};
use crate::Host;

type Script = dyn Fn(&str, &str) -> Result<Output, TransportError> + Send + Sync;

/// Decides results with `script(host, command)` and logs `host: command` lines.
#[derive(Clone)]
pub struct FakeConnector {
    script: Arc<Script>,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl FakeConnector {
    pub fn new(
        script: impl Fn(&str, &str) -> Result<Output, TransportError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            script: Arc::new(script),
            log: Arc::default(),
        }
    }

    /// Every command succeeds with empty output.
    pub fn ok() -> Self {
        Self::new(|_, _| Ok(Output::default()))
    }

    pub fn calls(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }
}

struct FakeConnection {
    host: String,
    c: FakeConnector,
}

impl Connector for FakeConnector {
    fn connect(&self, host: &Host) -> Result<Box<dyn Connection>, TransportError> {
        Ok(Box::new(FakeConnection {
            host: host.name.clone(),
            c: self.clone(),
        }))
    }
}

impl Connection for FakeConnection {
    fn exec(&mut self, spec: &CommandSpec) -> Result<Output, TransportError> {
        // Scripts see the command as the shell would run it: each value reference in
        // place, a bare one as one quoted word.
        let mut command = spec.command.clone();
        for (k, v) in &spec.env {
            command = command
                .replace(&format!("\"${{{k}}}\""), &crate::shell_quote(v))
                .replace(&format!("${{{k}}}"), v);
        }
        self.c
            .log
            .lock()
            .expect("log")
            .push(format!("{}: {}", self.host, command));
        (self.c.script)(&self.host, &command)
    }

    fn upload(
        &mut self,
        local: &Path,
        remote: &str,
        _mode: u32,
        _t: Duration,
    ) -> Result<TransferResult, TransportError> {
        self.c.log.lock().expect("log").push(format!(
            "{}: upload {} {remote}",
            self.host,
            local.display()
        ));
        Ok(TransferResult {
            resumed_from: 0,
            bytes: 0,
            sha256: String::new(),
        })
    }

    fn download(
        &mut self,
        remote: &str,
        local: &Path,
        _t: Duration,
    ) -> Result<TransferResult, TransportError> {
        self.c.log.lock().expect("log").push(format!(
            "{}: download {remote} {}",
            self.host,
            local.display()
        ));
        Ok(TransferResult {
            resumed_from: 0,
            bytes: 0,
            sha256: String::new(),
        })
    }
}
