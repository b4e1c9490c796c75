//! Rules on defined custom fields (`metadata.<key>` where the tenant has a
//! definition for `<key>`), checked against the definition's type when a
//! segment is saved: the operators that fit the type, and the values in
//! the field's normal form (a DATETIME in UTC, an option that exists), so
//! that the stored rule compares as the values are kept.

use entity::custom_field::FieldType;
use serde_json::Value;

use super::rule::{Op, RawRule};
use crate::error::{AppResult, bad_input};
use crate::profiles::fields::Fields;
use crate::profiles::fields::value::{check, type_name};

/// Puts each rule on a defined field in its normal form, or refuses it.
pub(super) fn normalize(rules: &mut [RawRule], prefix: &str, fields: &Fields) -> AppResult<()> {
    for (i, rule) in rules.iter_mut().enumerate() {
        let path = format!("{prefix}.{i}");
        let Some(key) = rule.field.trim().strip_prefix("metadata.") else {
            continue;
        };
        let Some(definition) = fields.get(key) else {
            continue;
        };
        let Some(op) = Op::parse(rule.operator.trim()) else {
            continue;
        };
        let kind = definition.field_type;
        if !fits(op, kind) {
            return Err(bad_input(
                format!("{path}.operator"),
                format!(
                    "{:?} does not apply to a {} field",
                    rule.operator,
                    type_name(kind)
                ),
            ));
        }
        let at = format!("{path}.value");
        let one = |v: &Value, at: &str| -> AppResult<Value> {
            if kind == FieldType::MultiSelect {
                // `contains`: one option.
                let text = v
                    .as_str()
                    .ok_or_else(|| bad_input(at, "expected one of its options"))?;
                let checked = check(at, definition, Value::String(text.to_owned()))?;
                return Ok(checked
                    .and_then(|c| c.get(0).cloned())
                    .unwrap_or(Value::Null));
            }
            if let (
                FieldType::Text | FieldType::Url | FieldType::Email,
                Op::Contains | Op::StartsWith,
            ) = (kind, op)
            {
                return Ok(v.clone());
            }
            check(at, definition, v.clone())?.ok_or_else(|| bad_input(at, "a value is needed"))
        };
        rule.value = match (&rule.value, op) {
            (_, Op::IsSet | Op::IsNotSet) => continue,
            (Value::Array(items), Op::In | Op::NotIn) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(n, v)| one(v, &format!("{at}.{n}")))
                    .collect::<AppResult<_>>()?,
            ),
            (Value::Array(_), _) => return Err(bad_input(at, "expected one value")),
            (v, _) => one(v, &at)?,
        };
    }
    Ok(())
}

/// The operators a defined field's type takes.
fn fits(op: Op, kind: FieldType) -> bool {
    use Op::*;
    let ops: &[Op] = match kind {
        FieldType::Number | FieldType::Decimal => {
            &[Eq, Neq, Gt, Gte, Lt, Lte, In, NotIn, IsSet, IsNotSet]
        }
        FieldType::Date | FieldType::Datetime => &[
            Eq, Neq, Gt, Gte, Lt, Lte, Before, After, In, NotIn, IsSet, IsNotSet,
        ],
        FieldType::Text | FieldType::Url | FieldType::Email => {
            &[Eq, Neq, In, NotIn, Contains, StartsWith, IsSet, IsNotSet]
        }
        FieldType::SingleSelect => &[Eq, Neq, In, NotIn, IsSet, IsNotSet],
        FieldType::MultiSelect => &[Contains, IsSet, IsNotSet],
        FieldType::Boolean => &[Eq, Neq, IsSet, IsNotSet],
    };
    ops.contains(&op)
}
