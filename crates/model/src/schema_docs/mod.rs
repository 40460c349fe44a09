//! Descriptions of every field of `drctl schema`, so editors show them. Keyed by the
//! field's name and the name of the object it sits in (`""` = any object that has no
//! entry of its own); added to the built schema in one pass by [`describe`].

use serde_json::Value;

mod fields;
pub use fields::FIELD_DOCS;

/// The description of `field` inside an object under `context`.
pub fn lookup(context: &str, field: &str) -> Option<&'static str> {
    let find = |c: &str| {
        FIELD_DOCS
            .iter()
            .find(|(tc, tf, _)| *tc == c && *tf == field)
            .map(|(_, _, d)| *d)
    };
    find(context).or_else(|| find(""))
}

/// Give every property of `schema` that has none a description from [`FIELD_DOCS`].
pub fn describe(schema: &mut Value) {
    walk(schema, "");
}

fn walk(v: &mut Value, context: &str) {
    let Some(o) = v.as_object_mut() else {
        if let Some(a) = v.as_array_mut() {
            for x in a {
                walk(x, context);
            }
        }
        return;
    };
    if let Some(Value::Object(props)) = o.get_mut("properties") {
        for (k, child) in props.iter_mut() {
            if let Some(c) = child.as_object_mut()
                && !c.contains_key("description")
                && let Some(d) = lookup(context, k)
            {
                c.insert("description".into(), Value::from(d));
            }
            walk(child, k);
        }
    }
    for k in ["items", "anyOf", "oneOf", "additionalProperties"] {
        if let Some(x) = o.get_mut(k) {
            walk(x, context);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(v: &Value, path: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::Object(props)) = o.get("properties") {
                    for (k, c) in props {
                        if c.get("description").and_then(Value::as_str).is_none() {
                            out.push(format!("{path}.{k}"));
                        }
                        missing(c, &format!("{path}.{k}"), out);
                    }
                }
                for (k, c) in o {
                    if k != "properties" {
                        missing(c, path, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|c| missing(c, path, out)),
            _ => {}
        }
    }

    #[test]
    fn every_schema_property_has_a_description() {
        let mut out = Vec::new();
        missing(&crate::schema::runbook_schema(), "", &mut out);
        assert!(out.is_empty(), "no description: {out:?}");
    }

    #[test]
    fn context_entries_win_over_general_ones() {
        assert_eq!(
            lookup("vars", "env"),
            Some("Read from this environment variable of the controller at run time.")
        );
        assert_eq!(
            lookup("steps", "env"),
            Some("Environment variables of the command.")
        );
        assert!(lookup("objectives", "phases").is_some());
        for name in [
            "check",
            "point_of_no_return",
            "needs",
            "include",
            "loop",
            "loop_var",
            "become",
            "become_user",
        ] {
            assert!(lookup("steps", name).is_some(), "{name}");
        }
        for name in ["attempt_timeout", "max_interval"] {
            assert!(lookup("defaults", name).is_some(), "{name}");
        }
    }
}
