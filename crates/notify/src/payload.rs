//! The text one receiver is sent for one event: drctl's JSON payload, or Slack /
//! Mattermost `{"text": ...}`, masked.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::{PAYLOAD_VERSION, Receiver, Shared};

pub(crate) fn payload(s: &Shared, r: &Receiver, event: &str, f: &Value) -> String {
    let run_id = s.run_id.lock().unwrap().clone();
    let failed = s.failed.lock().unwrap().clone();
    let elapsed = s.started.elapsed().as_millis() as u64;
    let done = s.steps_done.load(Ordering::SeqCst);
    let total = s.steps_total.load(Ordering::SeqCst);
    let left: Vec<String> = failed
        .iter()
        .map(|f| format!("step `{f}` failed: check it by hand"))
        .collect();
    let get = |k: &str| f.get(k).cloned().unwrap_or(Value::Null);
    if r.format == "slack" {
        let i = &s.info;
        let mut text = format!("drctl {} `{}` ({}) run {run_id}: ", i.kind, i.name, event);
        text.push_str(&match event {
            "start" => "started".to_string(),
            "gate" => format!("waiting at gate `{}`", get("step").as_str().unwrap_or("")),
            "step-failed" => format!(
                "step `{}` FAILED on {}",
                get("step").as_str().unwrap_or(""),
                get("hosts")
            ),
            "rollback" => format!(
                "rollback started: {}",
                get("message").as_str().unwrap_or("")
            ),
            "finish" => format!(
                "finished: {} (exit {})",
                get("outcome").as_str().unwrap_or(""),
                get("exit")
            ),
            _ => String::new(),
        });
        let rto = s
            .info
            .rto
            .map(|r| format!(" of RTO {}s", r.as_secs()))
            .unwrap_or_default();
        text.push_str(&format!(
            " — {done}/{total} steps, {}s elapsed{rto}",
            elapsed / 1000
        ));
        if !left.is_empty() {
            text.push_str(&format!("; left for a human: {}", left.join("; ")));
        }
        return json!({ "text": text }).to_string();
    }
    json!({
        "drctl_notify": PAYLOAD_VERSION,
        "run_id": run_id,
        "runbook": s.info.runbook,
        "name": s.info.name,
        "kind": s.info.kind,
        "severity": s.info.severity,
        "event": event,
        "step": get("step"),
        "hosts": get("hosts"),
        "outcome": get("outcome"),
        "exit": get("exit"),
        "message": get("message"),
        "elapsed_ms": elapsed,
        "rto_ms": s.info.rto.map(|d| d.as_millis() as u64),
        "steps_done": done,
        "steps_total": total,
        "left_for_human": left,
    })
    .to_string()
}
