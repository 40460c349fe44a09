//! A host entry's fields (address, port, user, SSH settings, transport) applied to a
//! [`Host`] while an inventory is built.

use super::*;

pub(super) fn apply_host_fields(
    r: &mut Reader,
    f: &crate::runbook::reader::Fields<'_>,
    path: &str,
    base: &Path,
    h: &mut Host,
) {
    let p = |k: &str| format!("{path}.{k}");
    if let Some(n) = f.get("addr")
        && let Some(s) = r.string(n, &p("addr"))
    {
        h.addr = s.value;
    }
    if let Some(n) = f.get("port")
        && let Some(v) = r.int(n, &p("port"), 1, 65535)
    {
        h.port = v as u16;
    }
    if let Some(n) = f.get("user")
        && let Some(s) = r.string(n, &p("user"))
    {
        h.user = s.value;
    }
    if let Some(n) = f.get("identity")
        && let Some(s) = r.string(n, &p("identity"))
    {
        h.identity = Some(resolve_path(&s.value, base));
    }
    if let Some(n) = f.get("known_hosts")
        && let Some(s) = r.string(n, &p("known_hosts"))
    {
        h.known_hosts = resolve_path(&s.value, base);
    }
    if let Some(n) = f.get("connect_timeout")
        && let Some(d) = r.duration(n, &p("connect_timeout"))
    {
        h.connect_timeout = d.value;
    }
    if let Some(n) = f.get("keepalive_interval")
        && let Some(d) = r.duration(n, &p("keepalive_interval"))
    {
        // libssh2 sends keepalives at most every 2 s.
        h.keepalive_interval = d.value.max(std::time::Duration::from_secs(2));
    }
    if let Some(n) = f.get("keepalive_count_max")
        && let Some(v) = r.int(n, &p("keepalive_count_max"), 1, 1000)
    {
        h.keepalive_count_max = v as u32;
    }
    if let Some(n) = f.get("transport")
        && let Some(s) = r.choice(n, &p("transport"), &["ssh", "local"])
    {
        h.transport = if s.value == "local" {
            TransportKind::Local
        } else {
            TransportKind::Ssh
        };
    }
    if let Some(n) = f.get("host_key_checking")
        && let Some(s) = r.choice(n, &p("host_key_checking"), &["strict", "accept-new"])
    {
        h.host_key_policy = if s.value == "strict" {
            HostKeyPolicy::Strict
        } else {
            HostKeyPolicy::AcceptNew
        };
    }
    crate::runbook::become_keys::apply(r, f, path, &mut h.privilege);
    if let Some(n) = f.get("exec_mode")
        && let Some(s) = r.choice(n, &p("exec_mode"), &["shell", "channel"])
    {
        h.exec_mode = if s.value == "shell" {
            ExecMode::Shell
        } else {
            ExecMode::Channel
        };
    }
}
