//! `Segment.explain`: rule by rule, whether a customer matches (asked of
//! the database with the very conditions membership uses, so the answer
//! cannot disagree with it) and the customer's value of the rule's field,
//! in the terms the rule compares.

use entity::customer;
use sea_orm::ActiveEnum as _;
use serde_json::{Value, json};

use super::compile::Env;
use super::rule::Field;
use crate::analytics::RfmSegment;
use crate::analytics::churn;
use crate::graphql::scalars::Decimal;
use crate::profiles::row::display_name;

/// The customer's value of a rule's field (`null` when it has none).
pub fn actual(field: &Field, row: &customer::Model, tags: &[String], env: &Env) -> Value {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or(Value::Null, |t| {
            json!(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        })
    };
    match field {
        Field::TotalSpent => json!(Decimal::from(row.total_spent_cents).to_string()),
        Field::TotalOrders => json!(row.total_orders),
        Field::ChurnRisk => json!(churn::churn_risk(
            row.total_orders,
            row.first_order_at,
            row.last_order_at,
            env.now
        )),
        Field::LastOrderAt => time(row.last_order_at),
        Field::FirstOrderAt => time(row.first_order_at),
        Field::CreatedAt => time(Some(row.created_at)),
        Field::RfmSegment => {
            let segment = match row.last_order_at {
                Some(last) if row.total_orders > 0 => RfmSegment::of(env.breakpoints.scores(
                    last,
                    row.total_orders,
                    row.total_spent_cents,
                )),
                _ => RfmSegment::None,
            };
            json!(segment.name())
        }
        Field::Tags => json!(tags),
        Field::Email => json!(row.email),
        Field::Name => json!(display_name(row)),
        Field::Status => json!(row.status),
        Field::Source => json!(row.source),
        Field::Country => json!(row.country),
        Field::City => json!(row.city),
        Field::EmailConsent => json!(row.email_consent.to_value()),
        Field::SmsConsent => json!(row.sms_consent.to_value()),
        Field::Locale => json!(row.locale),
        Field::Currency => json!(row.currency),
        Field::Metadata(path) => path
            .iter()
            .try_fold(&row.metadata, |value, key| value.get(key))
            .cloned()
            .unwrap_or(Value::Null),
    }
}
