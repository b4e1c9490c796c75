//! A custom field's value checked against its definition and put in its
//! normal form: numbers as JSON numbers, dates as `YYYY-MM-DD`, times as
//! UTC RFC 3339 to the millisecond (so that text order is time order),
//! emails lower-cased, multi-selects deduplicated in the options' order.
//! Text forms of numbers and booleans are accepted, as a CSV cell gives
//! them.

use entity::custom_field::{self, FieldType};
use serde_json::{Number, Value};

use crate::error::{AppResult, bad_input};
use crate::profiles::contact::Email;

/// Longest text value.
pub const MAX_TEXT_CHARS: usize = 1000;
/// Longest URL.
const MAX_URL_CHARS: usize = 2048;

/// The value in normal form; `None` for null or an empty value.
pub fn check(
    field: &str,
    definition: &custom_field::Model,
    value: Value,
) -> AppResult<Option<Value>> {
    let kind = definition.field_type;
    let wrong = |what: &str| {
        bad_input(
            field,
            format!(
                "{:?} is a {} field: {what}",
                definition.key,
                type_name(kind)
            ),
        )
    };
    let text = match &value {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::Array(items) if items.is_empty() && kind == FieldType::MultiSelect => {
            return Ok(None);
        }
        Value::String(s) => Some(s.trim()),
        _ => None,
    };
    let checked = match kind {
        FieldType::Text => {
            let text = text.ok_or_else(|| wrong("expected a string"))?;
            if text.chars().count() > MAX_TEXT_CHARS
                || text.chars().any(|c| c.is_control() && c != '\n')
            {
                return Err(wrong(&format!(
                    "at most {MAX_TEXT_CHARS} characters, no control characters"
                )));
            }
            Value::String(text.to_owned())
        }
        FieldType::Number => {
            let n = match (&value, text) {
                (Value::Number(n), _) => n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                }),
                (_, Some(t)) => t.parse::<i64>().ok(),
                _ => None,
            };
            Value::from(n.ok_or_else(|| wrong("expected a whole number"))?)
        }
        FieldType::Decimal => {
            let n = match (&value, text) {
                (Value::Number(n), _) => n.as_f64(),
                (_, Some(t)) => t.parse::<f64>().ok(),
                _ => None,
            };
            let n = n
                .and_then(Number::from_f64)
                .ok_or_else(|| wrong("expected a number"))?;
            Value::Number(integral(n))
        }
        FieldType::Boolean => match (&value, text) {
            (Value::Bool(b), _) => Value::Bool(*b),
            (_, Some("true" | "TRUE" | "True")) => Value::Bool(true),
            (_, Some("false" | "FALSE" | "False")) => Value::Bool(false),
            _ => return Err(wrong("expected true or false")),
        },
        FieldType::Date => {
            let text = text.ok_or_else(|| wrong("expected a date, YYYY-MM-DD"))?;
            let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| wrong("expected a date, YYYY-MM-DD"))?;
            Value::String(date.format("%Y-%m-%d").to_string())
        }
        FieldType::Datetime => {
            let text = text.ok_or_else(|| wrong("expected an RFC 3339 date and time"))?;
            let time = chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|_| wrong("expected an RFC 3339 date and time"))?;
            Value::String(datetime(time.with_timezone(&chrono::Utc)))
        }
        FieldType::SingleSelect => {
            let text = text.ok_or_else(|| wrong("expected one of its options"))?;
            if !options(definition).any(|o| o == text) {
                return Err(wrong(&format!("{text:?} is not one of its options")));
            }
            Value::String(text.to_owned())
        }
        FieldType::MultiSelect => {
            let given: Vec<&str> = match &value {
                Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::trim)
                            .ok_or_else(|| wrong("expected a list of its options"))
                    })
                    .collect::<AppResult<_>>()?,
                _ => vec![text.ok_or_else(|| wrong("expected a list of its options"))?],
            };
            if let Some(unknown) = given
                .iter()
                .find(|g| !options(definition).any(|o| o == **g))
            {
                return Err(wrong(&format!("{unknown:?} is not one of its options")));
            }
            Value::Array(
                options(definition)
                    .filter(|o| given.contains(o))
                    .map(|o| Value::String(o.to_owned()))
                    .collect(),
            )
        }
        FieldType::Url => {
            let text = text.ok_or_else(|| wrong("expected an http(s) URL"))?;
            let valid = text.len() <= MAX_URL_CHARS
                && url::Url::parse(text)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !valid {
                return Err(wrong("expected an http(s) URL"));
            }
            Value::String(text.to_owned())
        }
        FieldType::Email => {
            let text = text.ok_or_else(|| wrong("expected an email address"))?;
            let email =
                Email::parse(field, text)?.ok_or_else(|| wrong("expected an email address"))?;
            Value::String(email.as_str().to_owned())
        }
    };
    Ok(Some(checked))
}

/// A time as a defined field holds it: UTC, to the millisecond, `Z`.
pub fn datetime(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A whole decimal as an integer (`2.0` → `2`), as JSON writes it.
fn integral(n: Number) -> Number {
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Number::from(f as i64),
        _ => n,
    }
}

/// A select's options.
pub fn options(definition: &custom_field::Model) -> impl Iterator<Item = &str> {
    definition
        .options
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// The type as the API names it.
pub fn type_name(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Text => "TEXT",
        FieldType::Number => "NUMBER",
        FieldType::Decimal => "DECIMAL",
        FieldType::Boolean => "BOOLEAN",
        FieldType::Date => "DATE",
        FieldType::Datetime => "DATETIME",
        FieldType::SingleSelect => "SINGLE_SELECT",
        FieldType::MultiSelect => "MULTI_SELECT",
        FieldType::Url => "URL",
        FieldType::Email => "EMAIL",
    }
}
