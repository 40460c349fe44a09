//! The JSON Schema of the runbook format (`drctl schema`), for editors and CI. Keys come
//! from the same lists the parser accepts, so the two cannot drift apart.

use serde_json::{Value, json};

use crate::runbook::model::{
    CHECK_KEYS, DEFAULT_KEYS, KINDS, NOTIFY_EVENTS, NOTIFY_FORMATS, NOTIFY_KEYS, ON_FAILURE,
    RUNBOOK_KEYS, SEVERITIES, STEP_KEYS, TRANSFER_KEYS,
};

const DURATION: &str = r"^([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$";
const NAME: &str = "^[a-z0-9-]+$";

fn only(keys: &[&str], mut props: serde_json::Map<String, Value>) -> Value {
    for k in keys {
        props.entry(k.to_string()).or_insert(json!({}));
    }
    json!({ "type": "object", "additionalProperties": false, "properties": props })
}

fn obj(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Build the schema.
pub fn runbook_schema() -> Value {
    let duration = json!({ "type": "string", "pattern": DURATION, "minLength": 2 });
    let string_or_list = json!({ "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }] });
    let check = only(
        CHECK_KEYS,
        obj(json!({
            "exit": { "anyOf": [{ "type": "integer", "minimum": 0, "maximum": 255 }, { "type": "array", "items": { "type": "integer" } }] },
            "stdout": { "type": "string" }, "contains": { "type": "string" }, "regex": { "type": "string" }
        })),
    );
    let transfer = {
        let mut t = only(
            TRANSFER_KEYS,
            obj(json!({
                "src": { "type": "string" }, "dest": { "type": "string" }, "mode": { "type": "string", "pattern": "^[0-7]{3,4}$" }
            })),
        );
        t["required"] = json!(["src", "dest"]);
        t
    };
    let settings = json!({
        "timeout": duration, "retry_delay": duration, "interval": duration,
        "on_failure": { "enum": ON_FAILURE },
        "retries": { "type": "integer", "minimum": 0, "maximum": 100 },
        "idempotent": { "type": "boolean" },
        "serial": { "anyOf": [{ "type": "integer", "minimum": 1 }, { "type": "string", "pattern": "^[0-9]{1,3}%$" }] },
        "attempt_timeout": duration, "max_interval": duration
    });
    let mut step_props = obj(settings.clone());
    step_props.extend(obj(json!({
        "id": { "type": "string", "pattern": NAME },
        "name": { "type": "string" }, "phase": { "type": "string" },
        "on": string_or_list, "run": { "type": "string" },
        "approve": { "anyOf": [
            { "type": "string" },
            { "type": "object", "additionalProperties": false, "required": ["message"],
              "properties": { "message": { "type": "string" },
                              "approvers": { "type": "integer", "minimum": 1, "maximum": 9 } } }
        ] },
        "upload": transfer, "download": transfer,
        "expect": check, "until": check,
        "capture": { "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" },
        "rollback": { "type": "string" }, "when": { "type": "string" },
        "drill": { "type": "string", "description": "`run`, `skip`, or a replacement command" },
        "env": { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean"] } },
        "point_of_no_return": { "type": "boolean" },
        "become": { "type": "boolean" },
        "become_user": { "type": "string" },
        "loop": { "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": ["string", "number"] } }] },
        "needs": string_or_list.clone(),
        "loop_var": { "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" },
        "check": { "anyOf": [
            { "type": "string" },
            { "type": "object", "additionalProperties": false, "required": ["run"],
              "properties": { "run": { "type": "string" }, "expect": check.clone() } }
        ] }
    })));
    let mut step = only(STEP_KEYS, step_props);
    step["required"] = json!(["id"]);
    step["oneOf"] = json!([
        { "required": ["run"] }, { "required": ["upload"] }, { "required": ["download"] }, { "required": ["approve"] }
    ]);
    let var = json!({ "anyOf": [
        { "type": ["string", "number", "boolean", "null", "array"] },
        { "type": "object", "additionalProperties": false, "properties": {
            "env": { "type": "string" }, "value": {}, "secret": { "type": "boolean" }, "default": { "type": "string" } } },
        { "type": "object" }
    ]});
    let mut receiver = only(
        NOTIFY_KEYS,
        obj(json!({
            "url": { "type": "string", "pattern": "^https?://" },
            "format": { "enum": NOTIFY_FORMATS },
            "events": { "type": "array", "items": { "enum": NOTIFY_EVENTS } },
            "every": duration,
            "headers": { "type": "object", "additionalProperties": { "type": "string" } }
        })),
    );
    receiver["required"] = json!(["url"]);
    let mut root = only(
        RUNBOOK_KEYS,
        obj(json!({
            "drctl": { "const": 1 },
            "kind": { "enum": KINDS },
            "name": { "type": "string", "pattern": NAME },
            "description": { "type": "string" },
            "severity": { "enum": SEVERITIES },
            "objectives": { "type": "object", "additionalProperties": false, "properties": { "rto": duration, "rpo": duration, "phases": { "type": "object", "additionalProperties": duration } } },
            "inventory": { "type": "string" },
            "vars": { "type": "object", "additionalProperties": var },
            "defaults": only(DEFAULT_KEYS, obj(settings)),
            "notify": { "type": "array", "items": receiver },
            "steps": { "type": "array", "minItems": 1, "items": { "anyOf": [
                step,
                { "type": "object", "additionalProperties": false, "required": ["include"],
                  "properties": { "include": { "type": "string" } } }
            ] } }
        })),
    );
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["$id"] = json!("https://drctl.dev/schema/runbook-v1.json");
    root["title"] = json!("drctl runbook (format v1)");
    root["required"] = json!(["drctl", "kind", "name", "steps"]);
    crate::schema_docs::describe(&mut root);
    root
}
