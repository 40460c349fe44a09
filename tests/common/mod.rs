//! The lab harness (tests/integration/lab.rs) under its old path, for
//! benches/ssh_fanout.rs, which includes this file with `#[path]` and uses only part of
//! the harness. Not compiled with the tests (`autotests = false`). Delete it once the
//! bench includes tests/integration/lab.rs and writes its runbook itself.
#![allow(dead_code)]

#[path = "../integration/lab.rs"]
mod lab;

use std::path::PathBuf;

pub use lab::*;

impl Lab {
    /// Write a runbook file into the lab.
    pub fn runbook(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}
