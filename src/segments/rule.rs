//! Segment rules: `{ field, operator, value }` parsed into a typed [`Rule`]
//! and type-checked once, at creation and update. Every refusal is
//! `BAD_USER_INPUT` naming the rule (`input.rules.2.operator`).
//!
//! Rules are stored as given (a relative date stays relative) and parsed
//! again when read; a stored rule therefore always parses.

use serde_json::Value;

use crate::analytics::RfmSegment;
use crate::error::{AppError, AppResult, bad_input};
use crate::graphql::scalars::Decimal;
use crate::profiles::checks::country;
use crate::profiles::row::fold;

pub use super::terms::{Field, Kind, Op, When};

/// Most rules in a segment.
pub const MAX_RULES: usize = 50;
/// Most values an `in` or `not_in` list holds.
pub const MAX_LIST: usize = 100;
/// Most characters of a text value.
const MAX_TEXT: usize = 255;

/// One value of a rule, already in the field's terms.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// Cents (`total_spent`) or a count (`total_orders`).
    Int(i64),
    Float(f64),
    /// Text as compared: lower-cased email, folded name, upper-cased
    /// country or status, a tag or other text as given.
    Text(String),
    Bool(bool),
    Time(When),
    Segment(RfmSegment),
}

/// What a rule compares the field with.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// `is_set`, `is_not_set`.
    Nothing,
    One(Scalar),
    /// `in`, `not_in`: at least one value.
    Many(Vec<Scalar>),
}

/// A type-checked rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub field: Field,
    pub op: Op,
    pub operand: Operand,
}

/// A rule as given and as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RawRule {
    pub field: String,
    pub operator: String,
    #[serde(default)]
    pub value: Value,
}

impl Rule {
    /// Parses and type-checks one rule; errors name `{path}.field`,
    /// `{path}.operator` or `{path}.value`.
    pub fn parse(raw: &RawRule, path: &str) -> AppResult<Rule> {
        let field = Field::parse(raw.field.trim()).ok_or_else(|| {
            bad_input(
                format!("{path}.field"),
                format!(
                    "unknown field {:?}: one of total_spent, total_orders, last_order_at, \
                     first_order_at, created_at, churn_risk, rfm_segment, tags, email, name, \
                     status, source, country, city, or metadata.<key> (letters, digits, _ and -)",
                    raw.field
                ),
            )
        })?;
        let op = Op::parse(raw.operator.trim()).ok_or_else(|| {
            bad_input(
                format!("{path}.operator"),
                format!("unknown operator {:?}", raw.operator),
            )
        })?;
        let kind = field.kind();
        if !op.fits(kind) {
            return Err(bad_input(
                format!("{path}.operator"),
                format!("{:?} does not apply to {}", raw.operator, raw.field.trim()),
            ));
        }
        let at = format!("{path}.value");
        let operand = match op {
            Op::IsSet | Op::IsNotSet => match raw.value {
                Value::Null => Operand::Nothing,
                _ => return Err(bad_input(at, format!("{:?} takes no value", raw.operator))),
            },
            Op::In | Op::NotIn => {
                let Value::Array(items) = &raw.value else {
                    return Err(bad_input(at, "expected a list of values"));
                };
                if items.is_empty() || items.len() > MAX_LIST {
                    return Err(bad_input(at, format!("expected 1 to {MAX_LIST} values")));
                }
                let values = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| scalar(&field, op, v, &format!("{at}.{i}")))
                    .collect::<AppResult<Vec<_>>>()?;
                Operand::Many(values)
            }
            _ => Operand::One(scalar(&field, op, &raw.value, &at)?),
        };
        Ok(Rule { field, op, operand })
    }
}

/// Parses every rule of a list, naming `{prefix}.{index}` in errors.
pub fn parse_all(raw: &[RawRule], prefix: &str) -> AppResult<Vec<Rule>> {
    raw.iter()
        .enumerate()
        .map(|(i, r)| Rule::parse(r, &format!("{prefix}.{i}")))
        .collect()
}

fn wrong(at: &str, expected: &str) -> AppError {
    bad_input(at, format!("expected {expected}"))
}

/// One value of the field's type.
fn scalar(field: &Field, op: Op, value: &Value, at: &str) -> AppResult<Scalar> {
    let text = |max: usize| -> AppResult<String> {
        match value {
            Value::String(s) if !s.is_empty() && s.chars().count() <= max => Ok(s.clone()),
            _ => Err(wrong(at, &format!("a text of 1 to {max} characters"))),
        }
    };
    Ok(match field.kind() {
        Kind::Money => {
            let raw = match value {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => String::new(),
            };
            let amount = Decimal::parse_str(&raw)
                .ok_or_else(|| wrong(at, "an amount such as 100 or \"99.90\""))?;
            Scalar::Int(amount.cents())
        }
        Kind::Count => Scalar::Int(value.as_i64().ok_or_else(|| wrong(at, "a whole number"))?),
        Kind::Ratio => Scalar::Float(
            value
                .as_f64()
                .filter(|f| f.is_finite())
                .ok_or_else(|| wrong(at, "a number"))?,
        ),
        Kind::Date => Scalar::Time(value.as_str().and_then(When::parse).ok_or_else(|| {
            wrong(
                at,
                "an RFC 3339 date-time or a relative date such as \"90_days_ago\"",
            )
        })?),
        Kind::Choice if *field == Field::RfmSegment => {
            let name = value.as_str().map(str::to_ascii_uppercase);
            let segment = RfmSegment::ALL
                .into_iter()
                .find(|s| Some(s.name()) == name.as_deref())
                .ok_or_else(|| wrong(at, "an RFM segment such as \"CHAMPIONS\""))?;
            Scalar::Segment(segment)
        }
        Kind::Choice if matches!(field, Field::EmailConsent | Field::SmsConsent) => {
            let state = value.as_str().map(str::to_ascii_uppercase);
            match state.as_deref() {
                Some(s @ ("SUBSCRIBED" | "UNSUBSCRIBED" | "PENDING" | "NOT_SUBSCRIBED")) => {
                    Scalar::Text(s.to_owned())
                }
                _ => {
                    return Err(wrong(
                        at,
                        "\"SUBSCRIBED\", \"UNSUBSCRIBED\", \"PENDING\" or \"NOT_SUBSCRIBED\"",
                    ));
                }
            }
        }
        Kind::Choice => {
            let status = value.as_str().map(str::to_ascii_uppercase);
            match status.as_deref() {
                Some(s @ ("ACTIVE" | "ARCHIVED")) => Scalar::Text(s.to_owned()),
                _ => return Err(wrong(at, "\"ACTIVE\" or \"ARCHIVED\"")),
            }
        }
        Kind::Tags => Scalar::Text(text(64)?.trim().to_owned()),
        Kind::Text => {
            let s = text(MAX_TEXT)?;
            Scalar::Text(match field {
                Field::Name => fold(&s),
                Field::Email => s.to_lowercase(),
                Field::Currency => s.to_ascii_uppercase(),
                _ => s,
            })
        }
        Kind::Country => match value.as_str().map(|s| country(at, s)).transpose()? {
            Some(Some(code)) => Scalar::Text(code),
            _ => return Err(wrong(at, "an ISO 3166-1 alpha-2 country code")),
        },
        Kind::Json => match (op, value) {
            (Op::Gt | Op::Gte | Op::Lt | Op::Lte, Value::Number(n)) => {
                Scalar::Float(n.as_f64().ok_or_else(|| wrong(at, "a number"))?)
            }
            (Op::Gt | Op::Gte | Op::Lt | Op::Lte, _) => return Err(wrong(at, "a number")),
            // A date or time as text: its order is the text's (a defined
            // DATE or DATETIME field keeps values in that form).
            (Op::Before | Op::After, Value::String(_)) => Scalar::Text(text(MAX_TEXT)?),
            (Op::Before | Op::After, _) => return Err(wrong(at, "a date as text")),
            (Op::Contains | Op::StartsWith, _) => Scalar::Text(text(MAX_TEXT)?),
            (_, Value::String(_)) => Scalar::Text(text(MAX_TEXT)?),
            (_, Value::Number(n)) => {
                Scalar::Float(n.as_f64().ok_or_else(|| wrong(at, "a number"))?)
            }
            (_, Value::Bool(b)) => Scalar::Bool(*b),
            _ => return Err(wrong(at, "a text, a number or a boolean")),
        },
    })
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use serde_json::json;

    use super::*;
    use chrono::{Duration, Utc};

    fn rule(field: &str, operator: &str, value: Value) -> AppResult<Rule> {
        let raw = RawRule {
            field: field.into(),
            operator: operator.into(),
            value,
        };
        Rule::parse(&raw, "input.rules.0")
    }

    fn field_of(err: AppError) -> String {
        match err {
            AppError::BadUserInput { field, .. } => field,
            other => panic!("not BAD_USER_INPUT: {other:?}"),
        }
    }

    #[test]
    fn good_rules_parse_into_the_fields_terms() {
        let spent = rule("total_spent", "gte", json!("99.90")).unwrap();
        assert_eq!(spent.operand, Operand::One(Scalar::Int(9990)));
        let spent = rule("total_spent", "gte", json!(100)).unwrap();
        assert_eq!(spent.operand, Operand::One(Scalar::Int(10000)));
        let name = rule("name", "contains", json!("María")).unwrap();
        assert_eq!(name.operand, Operand::One(Scalar::Text("maria".into())));
        let meta = rule("metadata.plan.tier", "in", json!(["gold", 3, true])).unwrap();
        assert_eq!(
            meta.field,
            Field::Metadata(vec!["plan".into(), "tier".into()])
        );
        let rfm = rule("rfm_segment", "eq", json!("champions")).unwrap();
        assert_eq!(
            rfm.operand,
            Operand::One(Scalar::Segment(RfmSegment::Champions))
        );
        assert!(rule("last_order_at", "before", json!("90_days_ago")).is_ok());
        assert!(rule("created_at", "after", json!("2026-01-01T00:00:00Z")).is_ok());
        assert!(rule("churn_risk", "is_set", Value::Null).is_ok());
    }

    #[test]
    fn relative_dates_resolve_against_the_clock() {
        let now = Utc::now();
        assert_eq!(
            When::parse("90_days_ago").map(|w| w.resolve(now)),
            Some(now - Duration::days(90))
        );
        assert_eq!(
            When::parse("24_hours_ago").map(|w| w.resolve(now)),
            Some(now - Duration::hours(24))
        );
        assert_eq!(
            When::parse("1_week_ago").map(|w| w.resolve(now)),
            Some(now - Duration::weeks(1))
        );
        for bad in [
            "90_days",
            "x_days_ago",
            "3_fortnights_ago",
            "yesterday",
            "-1_days_ago",
        ] {
            assert_eq!(When::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn bad_rules_name_the_part_that_is_wrong() {
        let cases = [
            ("shoe_size", "eq", json!(1), "input.rules.0.field"),
            ("metadata.a b", "eq", json!(1), "input.rules.0.field"),
            ("metadata.a\"]", "eq", json!(1), "input.rules.0.field"),
            ("metadata.", "eq", json!(1), "input.rules.0.field"),
            ("metadata.items.0", "eq", json!(1), "input.rules.0.field"),
            (
                "total_spent",
                "resembles",
                json!(1),
                "input.rules.0.operator",
            ),
            (
                "total_spent",
                "contains",
                json!(1),
                "input.rules.0.operator",
            ),
            ("tags", "gt", json!("vip"), "input.rules.0.operator"),
            ("created_at", "eq", json!("now"), "input.rules.0.operator"),
            ("total_spent", "gt", json!("lots"), "input.rules.0.value"),
            ("total_spent", "gt", json!("1.234"), "input.rules.0.value"),
            ("total_orders", "gt", json!(1.5), "input.rules.0.value"),
            (
                "last_order_at",
                "before",
                json!("last tuesday"),
                "input.rules.0.value",
            ),
            ("rfm_segment", "eq", json!("WHALES"), "input.rules.0.value"),
            ("status", "eq", json!("DELETED"), "input.rules.0.value"),
            ("country", "eq", json!("XX"), "input.rules.0.value"),
            ("email", "eq", json!(""), "input.rules.0.value"),
            ("tags", "in", json!([]), "input.rules.0.value"),
            ("tags", "in", json!("vip"), "input.rules.0.value"),
            ("tags", "in", json!(["vip", 3]), "input.rules.0.value.1"),
            ("metadata.seats", "gt", json!("10"), "input.rules.0.value"),
            (
                "metadata.plan",
                "eq",
                json!({"a": 1}),
                "input.rules.0.value",
            ),
            ("is_set_field", "is_set", json!(true), "input.rules.0.field"),
            ("email", "is_set", json!(true), "input.rules.0.value"),
        ];
        for (field, op, value, expected) in cases {
            let err = rule(field, op, value.clone()).expect_err(&format!("{field} {op} {value}"));
            assert_eq!(field_of(err), expected, "{field} {op} {value}");
        }
    }
}
