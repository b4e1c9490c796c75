//! Checks shared by every feature's input: trimmed text with a length
//! bound, and JSON with a size bound. Each error names the input path.

use serde_json::Value;

use crate::error::{AppResult, bad_input};

/// Most bytes of a free-form JSON value (`metadata`, activity `data`).
pub const MAX_JSON_BYTES: usize = 16 * 1024;

/// Trimmed one-line text of at most `max` characters; empty means none.
pub fn text(field: &str, value: String, max: usize) -> AppResult<Option<String>> {
    checked(field, value, max, |c| c.is_control())
}

/// Trimmed text of at most `max` characters that may span lines (a note).
pub fn multiline(field: &str, value: String, max: usize) -> AppResult<Option<String>> {
    checked(field, value, max, |c| {
        c.is_control() && !matches!(c, '\n' | '\r' | '\t')
    })
}

fn checked(
    field: &str,
    value: String,
    max: usize,
    refused: impl Fn(char) -> bool,
) -> AppResult<Option<String>> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(bad_input(field, format!("at most {max} characters")));
    }
    if value.chars().any(refused) {
        return Err(bad_input(field, "control characters are not allowed"));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// Any JSON value of at most [`MAX_JSON_BYTES`] once serialized.
pub fn json(field: &str, value: Value) -> AppResult<Value> {
    let size = serde_json::to_vec(&value)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_JSON_BYTES {
        return Err(bad_input(
            field,
            format!("{size} bytes; at most {MAX_JSON_BYTES}"),
        ));
    }
    Ok(value)
}

/// A JSON value without its null members: an input object (a filter) as
/// it was written, for storing.
pub fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}
