//! Fuzz the runbook and inventory parsers and every validation rule: any input, however
//! malformed, must give diagnostics (rendered with their source line and caret), never a
//! panic, a hang or runaway memory. Input: runbook bytes, optionally a NUL, then inventory
//! bytes.
#![no_main]

use std::collections::BTreeSet;

use drctl::runbook::inventory::parse_inventory;
use drctl::runbook::source::SourceFile;
use drctl::validate::check_source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |b| *b == 0);
    let rb = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let inv_text = parts.next().map(String::from_utf8_lossy);
    let inv = inv_text.map(|t| {
        let f = SourceFile::new("/fuzz/inventory.yaml", t.into_owned());
        let (inv, diags) = parse_inventory(&f);
        for d in &diags {
            let _ = d.render(false);
        }
        inv
    });
    let file = SourceFile::new("/fuzz/runbook.yaml", rb.into_owned());
    let extra: BTreeSet<String> = ["x".to_string()].into();
    for d in check_source(&file, inv.as_ref(), &extra) {
        let _ = d.render(false);
        let _ = d.short();
    }
});
