//! Small helpers that read typed fields out of a JSON object and describe
//! what was found when the type is wrong.

use serde_json::{Map, Value};

/// Names the JSON type of a value, for error messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A field that is missing or of the wrong type: `(key, problem)`.
pub(crate) type FieldError = (String, String);

pub(crate) fn required<'a>(
    map: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a Value, FieldError> {
    map.get(key)
        .ok_or_else(|| (key.to_owned(), "is missing".to_owned()))
}

pub(crate) fn string<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a str, FieldError> {
    match required(map, key)? {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(key, "a string", other)),
    }
}

pub(crate) fn integer(map: &Map<String, Value>, key: &str) -> Result<i64, FieldError> {
    match required(map, key)? {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| wrong_type(key, "an integer", &Value::Number(n.clone()))),
        other => Err(wrong_type(key, "an integer", other)),
    }
}

pub(crate) fn boolean(map: &Map<String, Value>, key: &str) -> Result<bool, FieldError> {
    match required(map, key)? {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type(key, "a boolean", other)),
    }
}

pub(crate) fn wrong_type(key: &str, expected: &str, found: &Value) -> FieldError {
    (
        key.to_owned(),
        format!("must be {expected}, found {}", type_name(found)),
    )
}
