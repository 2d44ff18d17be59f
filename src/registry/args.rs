//! Tool arguments: each tool's input is a Rust struct; its JSON Schema is generated from
//! the struct (schemars) and every call is checked against that schema before the struct
//! is filled, so the schema a client sees is the rule the server applies.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::CallError;

/// The schema of `T` as one object, without the generator's `$schema` and `title`.
fn object_schema<T: JsonSchema>() -> Map<String, Value> {
    let mut schema = match schemars::schema_for!(T).to_value() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    schema.remove("$schema");
    schema.remove("title");
    schema.insert("type".into(), Value::from("object"));
    schema
}

/// The input schema of `T`: unknown keys refused.
pub fn schema_of<T: JsonSchema>() -> Map<String, Value> {
    let mut schema = object_schema::<T>();
    schema.insert("additionalProperties".into(), Value::Bool(false));
    schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    schema
}

/// The schema of a payload type (extra keys allowed).
pub fn output_schema_of<T: JsonSchema>() -> Map<String, Value> {
    object_schema::<T>()
}

/// Checks `args` against `schema`'s top level: no unknown keys, required keys present,
/// numbers within their bounds, arrays long enough. Types and enums are checked when the
/// arguments are read into their struct.
pub fn check(schema: &Map<String, Value>, args: &Map<String, Value>) -> Result<(), CallError> {
    let empty = Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (key, value) in args {
        let Some(prop) = props.get(key).and_then(Value::as_object) else {
            let known: Vec<&str> = props.keys().map(String::as_str).collect();
            return Err(CallError::invalid(format!("unknown argument {key:?}"))
                .field(key.clone())
                .hint(format!("this tool takes: {}", known.join(", "))));
        };
        check_bounds(key, prop, value)?;
    }
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for r in required.iter().filter_map(Value::as_str) {
            if !args.contains_key(r) {
                return Err(
                    CallError::invalid(format!("missing required argument {r:?}")).field(r),
                );
            }
        }
    }
    Ok(())
}

fn check_bounds(key: &str, prop: &Map<String, Value>, value: &Value) -> Result<(), CallError> {
    let bound = |name: &str| prop.get(name).and_then(Value::as_f64);
    if let Some(v) = value.as_f64() {
        if let Some(min) = bound("minimum") {
            if v < min {
                return Err(
                    CallError::invalid(format!("{key} must be at least {min}, got {v}")).field(key),
                );
            }
        }
        if let Some(max) = bound("maximum") {
            if v > max {
                return Err(
                    CallError::invalid(format!("{key} must be at most {max}, got {v}")).field(key),
                );
            }
        }
    }
    if let (Some(items), Some(min)) = (value.as_array(), bound("minItems")) {
        if (items.len() as f64) < min {
            return Err(CallError::invalid(format!(
                "{key} needs at least {min} items, got {}",
                items.len()
            ))
            .field(key));
        }
    }
    Ok(())
}

/// Reads checked arguments into their struct; a wrong type or enum value names the
/// argument.
pub fn parse<T: DeserializeOwned>(args: Map<String, Value>) -> Result<T, CallError> {
    serde_json::from_value(Value::Object(args))
        .map_err(|e| CallError::invalid(format!("invalid arguments: {e}")))
}
