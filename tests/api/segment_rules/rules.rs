//! The rules tried: every field with the operators it takes, and the
//! values rules on each field compare with.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::fixture::TAGS;
use crate::helpers::segments::RFM_SEGMENTS as RFM;

const NUMBER_OPS: &[&str] = &[
    "eq",
    "neq",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "not_in",
    "is_set",
    "is_not_set",
];
const DATE_OPS: &[&str] = &["before", "after", "is_set", "is_not_set"];
const CHOICE_OPS: &[&str] = &["eq", "neq", "in", "not_in"];
const TAG_OPS: &[&str] = &["contains", "in", "not_in", "is_set", "is_not_set"];
const TEXT_OPS: &[&str] = &[
    "eq",
    "neq",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "is_set",
    "is_not_set",
];
const COUNTRY_OPS: &[&str] = &["eq", "neq", "in", "not_in", "is_set", "is_not_set"];
const JSON_OPS: &[&str] = &[
    "eq",
    "neq",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "is_set",
    "is_not_set",
];

/// Every field with the operators it takes.
pub(super) const FIELDS: &[(&str, &[&str])] = &[
    ("total_spent", NUMBER_OPS),
    ("total_orders", NUMBER_OPS),
    ("churn_risk", NUMBER_OPS),
    ("last_order_at", DATE_OPS),
    ("first_order_at", DATE_OPS),
    ("created_at", DATE_OPS),
    ("rfm_segment", CHOICE_OPS),
    ("status", CHOICE_OPS),
    ("tags", TAG_OPS),
    ("email", TEXT_OPS),
    ("name", TEXT_OPS),
    ("source", TEXT_OPS),
    ("city", TEXT_OPS),
    ("country", COUNTRY_OPS),
    ("metadata.plan", JSON_OPS),
    ("metadata.seats", JSON_OPS),
    ("metadata.score", JSON_OPS),
    ("metadata.beta", JSON_OPS),
    ("metadata.nested.tier", JSON_OPS),
    ("metadata.missing", JSON_OPS),
];

/// The values rules on a field compare with.
fn pool(field: &str, now: DateTime<Utc>) -> Vec<Value> {
    match field {
        "total_spent" => vec![
            json!(0),
            json!("49.99"),
            json!(100),
            json!("150.50"),
            json!(250),
            json!("320.00"),
            json!(500.5),
        ],
        "total_orders" => (0..5).map(|n| json!(n)).collect(),
        "churn_risk" => vec![
            json!(0.05),
            json!(0.1),
            json!(0.25),
            json!(0.5),
            json!(0.75),
            json!(0.9),
        ],
        "last_order_at" | "first_order_at" | "created_at" => vec![
            json!("now"),
            json!("24_hours_ago"),
            json!("7_days_ago"),
            json!("1_week_ago"),
            json!("30_days_ago"),
            json!("90_days_ago"),
            json!("365_days_ago"),
            json!((now - Duration::hours(45 * 24 + 7)).to_rfc3339()),
        ],
        "rfm_segment" => RFM
            .iter()
            .map(|s| json!(s))
            .chain([json!("champions")])
            .collect(),
        "status" => vec![json!("ACTIVE"), json!("archived")],
        "tags" => TAGS.iter().chain(&["nope"]).map(|t| json!(t)).collect(),
        "email" => vec![
            json!("ana"),
            json!("@acme.example"),
            json!("ANA1"),
            json!("bo3@mail.example"),
            json!("ana0@acme.example"),
            json!(".example"),
            json!("zz@nowhere.example"),
        ],
        "name" => vec![
            json!("maria"),
            json!("María García"),
            json!("GARCIA"),
            json!("josé"),
            json!("li"),
            json!("o'brien"),
            json!("100%"),
            json!("_"),
            json!("nguyen van"),
            json!("zoë smith"),
            json!("ana"),
        ],
        "source" => vec![
            json!("shopify"),
            json!("Shopify"),
            json!("pos"),
            json!("import"),
            json!("sho"),
            json!("zz"),
        ],
        "city" => vec![
            json!("Paris"),
            json!("paris"),
            json!("München"),
            json!("Munchen"),
            json!("São"),
            json!("New"),
            json!("New York"),
        ],
        "country" => vec![
            json!("US"),
            json!("de"),
            json!("FR"),
            json!("BR"),
            json!("JP"),
            json!("GB"),
        ],
        "metadata.plan" => vec![
            json!("pro"),
            json!("free"),
            json!("enterprise"),
            json!("PRO"),
            json!("pr"),
            json!(10),
            json!(true),
        ],
        "metadata.seats" => vec![
            json!(1),
            json!(5),
            json!(10),
            json!("10"),
            json!(50),
            json!(7.5),
        ],
        "metadata.score" => vec![json!(0.5), json!(2.25), json!(-1), json!(0), json!("0.5")],
        "metadata.beta" => vec![json!(true), json!(false), json!("true"), json!(1)],
        "metadata.nested.tier" => vec![json!("gold"), json!("silver"), json!("go"), json!(1)],
        _ => vec![json!("x"), json!(1)],
    }
}

/// Whether a value suits an operator on a metadata field.
fn suits(field: &str, op: &str, value: &Value) -> bool {
    if !field.starts_with("metadata.") {
        return true;
    }
    match op {
        "gt" | "gte" | "lt" | "lte" => value.is_number(),
        "contains" | "starts_with" => value.is_string(),
        _ => true,
    }
}

/// A rule on `field` with `op`, its value picked from the field's pool by
/// `pick`.
pub(super) fn make_rule(field: &str, op: &str, pick: usize, now: DateTime<Utc>) -> Value {
    let values: Vec<Value> = pool(field, now)
        .into_iter()
        .filter(|v| suits(field, op, v))
        .collect();
    let value = match op {
        "is_set" | "is_not_set" => Value::Null,
        "in" | "not_in" => {
            let n = 1 + pick % 3;
            Value::Array(
                (0..n)
                    .map(|i| values[(pick / 3 + i * 2) % values.len()].clone())
                    .collect(),
            )
        }
        _ => values[pick % values.len()].clone(),
    };
    json!({ "field": field, "operator": op, "value": value })
}
