//! The rules' documented semantics in Rust: a customer as the API shows
//! it, and whether a rule, or a set of them under ALL or ANY, holds for
//! that customer.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// A customer as the API shows it.
#[derive(Debug)]
pub(super) struct Snap {
    pub(super) id: String,
    pub(super) name: Option<String>,
    pub(super) email: Option<String>,
    pub(super) status: String,
    pub(super) source: Option<String>,
    pub(super) city: Option<String>,
    pub(super) country: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) metadata: Value,
    pub(super) created_at: DateTime<Utc>,
    pub(super) total_orders: i64,
    pub(super) total_spent: String,
    pub(super) last_order_at: Option<DateTime<Utc>>,
    pub(super) first_order_at: Option<DateTime<Utc>>,
    pub(super) churn: Option<f64>,
    pub(super) rfm: String,
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .map(|s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

impl Snap {
    pub(super) fn of(n: &Value) -> Snap {
        Snap {
            id: n["id"].as_str().unwrap().to_owned(),
            name: text(&n["name"]),
            email: text(&n["email"]),
            status: n["status"].as_str().unwrap().to_owned(),
            source: text(&n["source"]),
            city: text(&n["address"]["city"]),
            country: text(&n["address"]["country"]),
            tags: n["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect(),
            metadata: n["metadata"].clone(),
            created_at: time(&n["createdAt"]).unwrap(),
            total_orders: n["totalOrders"].as_i64().unwrap(),
            total_spent: n["totalSpent"].as_str().unwrap().to_owned(),
            last_order_at: time(&n["lastOrderAt"]),
            first_order_at: time(&n["metrics"]["firstOrderAt"]),
            churn: n["metrics"]["churnRisk"].as_f64(),
            rfm: n["metrics"]["rfm"]["segment"].as_str().unwrap().to_owned(),
        }
    }

    fn cents(&self) -> i64 {
        cents(&json!(self.total_spent))
    }
}

fn cents(v: &Value) -> i64 {
    let f = match v {
        Value::String(s) => s.parse::<f64>().unwrap(),
        other => other.as_f64().unwrap(),
    };
    (f * 100.0).round() as i64
}

fn fold(s: &str) -> String {
    deunicode::deunicode(s).to_lowercase()
}

/// `"now"`, `"<n>_<unit>_ago"` or RFC 3339.
fn resolve(v: &Value, now: DateTime<Utc>) -> DateTime<Utc> {
    let s = v.as_str().unwrap();
    if s == "now" {
        return now;
    }
    if let Some(rest) = s.strip_suffix("_ago") {
        let (n, unit) = rest.split_once('_').unwrap();
        let n: i64 = n.parse().unwrap();
        return now
            - match unit {
                "hours" => Duration::hours(n),
                "days" => Duration::days(n),
                "week" | "weeks" => Duration::weeks(n),
                other => panic!("unit {other}"),
            };
    }
    time(v).unwrap()
}

fn ordered<T: PartialOrd>(a: T, op: &str, b: T) -> bool {
    match op {
        "eq" => a == b,
        "gt" | "after" => a > b,
        "gte" => a >= b,
        "lt" | "before" => a < b,
        "lte" => a <= b,
        other => panic!("no order for {other}"),
    }
}

/// The rule's documented semantics, applied to the customer.
pub(super) fn eval(rule: &Value, c: &Snap, now: DateTime<Utc>) -> bool {
    let field = rule["field"].as_str().unwrap();
    let value = &rule["value"];
    match rule["operator"].as_str().unwrap() {
        "neq" => !holds(field, "eq", value, c, now),
        "not_in" => !holds(field, "in", value, c, now),
        "is_not_set" => !holds(field, "is_set", value, c, now),
        op => holds(field, op, value, c, now),
    }
}

fn holds(field: &str, op: &str, value: &Value, c: &Snap, now: DateTime<Utc>) -> bool {
    if op == "in" {
        let each = if field == "tags" { "contains" } else { "eq" };
        return value
            .as_array()
            .unwrap()
            .iter()
            .any(|v| holds(field, each, v, c, now));
    }
    match field {
        "total_spent" => op == "is_set" || ordered(c.cents(), op, cents(value)),
        "total_orders" => op == "is_set" || ordered(c.total_orders, op, value.as_i64().unwrap()),
        "churn_risk" => match (op, c.churn) {
            ("is_set", risk) => risk.is_some(),
            (_, Some(risk)) => ordered(risk, op, value.as_f64().unwrap()),
            (_, None) => false,
        },
        "last_order_at" | "first_order_at" | "created_at" => {
            let t = match field {
                "last_order_at" => c.last_order_at,
                "first_order_at" => c.first_order_at,
                _ => Some(c.created_at),
            };
            match (op, t) {
                ("is_set", t) => t.is_some(),
                (_, Some(t)) => ordered(t, op, resolve(value, now)),
                (_, None) => false,
            }
        }
        "rfm_segment" => c.rfm == value.as_str().unwrap().to_uppercase(),
        "status" => c.status == value.as_str().unwrap().to_uppercase(),
        "tags" => match op {
            "is_set" => !c.tags.is_empty(),
            _ => c.tags.iter().any(|t| t == value.as_str().unwrap()),
        },
        "email" | "name" | "source" | "city" | "country" => {
            let (actual, wanted) = match field {
                "email" => (c.email.clone(), value.as_str().map(str::to_lowercase)),
                "name" => (c.name.as_deref().map(fold), value.as_str().map(fold)),
                "source" => (c.source.clone(), text(value)),
                "city" => (c.city.clone(), text(value)),
                _ => (c.country.clone(), value.as_str().map(str::to_uppercase)),
            };
            match (op, actual) {
                ("is_set", actual) => actual.is_some(),
                (_, None) => false,
                ("eq", Some(a)) => Some(a) == wanted,
                ("contains", Some(a)) => a.contains(wanted.unwrap().as_str()),
                ("starts_with", Some(a)) => a.starts_with(wanted.unwrap().as_str()),
                (other, _) => panic!("{other} on {field}"),
            }
        }
        _ => {
            let path = field.strip_prefix("metadata.").unwrap();
            let actual = path
                .split('.')
                .try_fold(&c.metadata, |v, key| v.get(key))
                .filter(|v| !v.is_null());
            let Some(actual) = actual else {
                return false;
            };
            match (op, actual, value) {
                ("is_set", _, _) => true,
                ("eq", Value::String(a), Value::String(b)) => a == b,
                ("eq", Value::Bool(a), Value::Bool(b)) => a == b,
                ("eq" | "gt" | "gte" | "lt" | "lte", Value::Number(a), Value::Number(b)) => {
                    ordered(a.as_f64().unwrap(), op, b.as_f64().unwrap())
                }
                ("contains", Value::String(a), Value::String(b)) => a.contains(b.as_str()),
                ("starts_with", Value::String(a), Value::String(b)) => a.starts_with(b.as_str()),
                _ => false,
            }
        }
    }
}

pub(super) fn eval_all(rules: &[Value], any: bool, c: &Snap, now: DateTime<Utc>) -> bool {
    if any {
        rules.iter().any(|r| eval(r, c, now))
    } else {
        rules.iter().all(|r| eval(r, c, now))
    }
}
