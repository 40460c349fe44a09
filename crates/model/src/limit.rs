//! `--limit` patterns as Ansible users write them: host or group names, globs (`db*`,
//! `web-?`), `all`, exclusions (`!db3`), intersections (`&dbs`), separated by `,` or `:`.
//!
//! The selection is the union of the plain patterns (every host when there are none),
//! intersected with each `&` pattern, minus each `!` pattern. A pattern that names nothing
//! is an error (with a "did you mean"), never an empty selection.

use std::collections::BTreeSet;

use crate::runbook::inventory::{Inventory, LOCAL};

/// A pattern that names nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoMatch {
    pub pattern: String,
    pub hint: String,
}

/// `*` any run of characters, `?` one character.
pub fn glob(pat: &str, s: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pat.chars().collect(), s.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Hosts one pattern (without `!`/`&`) names: a host, a group's hosts, or every host or
/// group whose name matches a glob.
fn hosts_of(inv: &Inventory, pat: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if pat.contains('*') || pat.contains('?') {
        for h in inv.hosts.keys().filter(|h| *h != LOCAL && glob(pat, h)) {
            out.insert(h.clone());
        }
        for (_, ms) in inv.groups.iter().filter(|(g, _)| glob(pat, g)) {
            out.extend(ms.iter().cloned());
        }
    } else if let Some(hs) = inv.resolve(pat) {
        out.extend(hs);
    }
    out
}

/// Split `--limit` values on `,` and `:` into single patterns.
pub fn split(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split([',', ':']))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// The hosts `--limit` selects.
pub fn select(inv: &Inventory, values: &[String]) -> Result<BTreeSet<String>, NoMatch> {
    let pats = split(values);
    let every: BTreeSet<String> = inv.hosts.keys().filter(|h| *h != LOCAL).cloned().collect();
    let mut union = BTreeSet::new();
    let mut any_plain = false;
    let mut hits = Vec::new();
    for p in &pats {
        let (op, name) = match p.as_bytes()[0] {
            b'!' | b'&' => (p.as_bytes()[0], p[1..].trim()),
            _ => (b'+', p.as_str()),
        };
        let hs = hosts_of(inv, name);
        if hs.is_empty() {
            let hint = inv.suggest(name).unwrap_or_else(|| {
                "name hosts or groups of the inventory, or globs like `db*`".into()
            });
            return Err(NoMatch {
                pattern: p.clone(),
                hint,
            });
        }
        if op == b'+' {
            any_plain = true;
            union.extend(hs.iter().cloned());
        }
        hits.push((op, hs));
    }
    let mut sel = if any_plain { union } else { every };
    for (op, hs) in hits {
        match op {
            b'&' => sel.retain(|h| hs.contains(h)),
            b'!' => sel.retain(|h| !hs.contains(h)),
            _ => {}
        }
    }
    Ok(sel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::inventory::parse_inventory;
    use crate::runbook::source::SourceFile;

    fn inv() -> Inventory {
        let text = "hosts:\n  db1: { addr: a }\n  db2: { addr: a }\n  db3: { addr: a }\n  web1: { addr: a }\ngroups:\n  primary: [db1]\n  standby: [db2, db3]\n  east: [db1, web1]\n";
        let (inv, d) = parse_inventory(&SourceFile::new("/i.yaml", text));
        assert!(d.is_empty(), "{d:?}");
        inv
    }

    fn sel(v: &[&str]) -> Vec<String> {
        let v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        select(&inv(), &v).unwrap().into_iter().collect()
    }

    #[test]
    fn patterns_union_intersect_and_exclude() {
        assert_eq!(sel(&["db*"]), ["db1", "db2", "db3"]);
        assert_eq!(sel(&["db*", "!db3"]), ["db1", "db2"]);
        assert_eq!(sel(&["db*:!db3"]), ["db1", "db2"]);
        assert_eq!(sel(&["!db3"]), ["db1", "db2", "web1"]);
        assert_eq!(sel(&["standby,web1"]), ["db2", "db3", "web1"]);
        assert_eq!(sel(&["all:&east"]), ["db1", "web1"]);
        assert_eq!(sel(&["db*", "&east"]), ["db1"]);
        assert_eq!(sel(&["stand*"]), ["db2", "db3"], "globs match groups too");
        assert_eq!(sel(&["db?"]), ["db1", "db2", "db3"]);
    }

    #[test]
    fn a_pattern_naming_nothing_is_an_error_with_a_hint() {
        let e = select(&inv(), &["db1".into(), "standbi".into()]).unwrap_err();
        assert_eq!(e.pattern, "standbi");
        assert!(e.hint.contains("standby"), "{e:?}");
        assert!(select(&inv(), &["x*".into()]).is_err());
    }

    #[test]
    fn glob_matches_like_fnmatch() {
        assert!(glob("db*", "db12") && glob("*", "") && glob("a*b*c", "axxbyc"));
        assert!(!glob("db?", "db12") && !glob("db", "db1"));
    }
}
