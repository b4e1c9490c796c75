//! Segment rules read as filters: each rule becomes the `CustomerFilter`
//! that means the same, so rules and filters compile to SQL in one place
//! ([`CustomerFilter::compile`]). A stored rule keeps its words (a
//! relative date stays `"90_days_ago"`); it is read into a filter against
//! the clock of each evaluation.
//!
//! A rule's complements (`neq`, `not_in`, `is_not_set`) are the filter's
//! `not`, which counts an unknown value as not met, as rules always did.
//! Bounds no customer can meet (a churn risk above 1) read as a filter
//! that holds for none.

use sea_orm::Condition;

use super::compile::{Env, Match};
use super::rule::{Field, Kind, MAX_RULES, Op, Operand, Rule, Scalar, When};
use crate::error::AppResult;
use crate::graphql::scalars::{DateTime, Decimal};
use crate::profiles::consent::ConsentState;
use crate::profiles::filter_text::{MetadataPathCondition, TextCondition, TextField};
use crate::profiles::input::CustomerStatus;
use crate::profiles::{CustomerFilter, FilterEnv, TreeLimits};

type Time = chrono::DateTime<chrono::Utc>;

/// How deep a filter read from rules nests (the rules' `and` or `or`, a
/// complement's `not`, a list's `or`, a churn risk's `not` and its `or`)
/// and how wide (a segment's rules, all in one `and` or `or`).
const LIMITS: TreeLimits = TreeLimits {
    depth: 6,
    branches: MAX_RULES,
};

/// The condition of a segment's rules.
pub fn condition(rules: &[Rule], mode: Match, env: &Env) -> AppResult<Condition> {
    compile(&of_rules(rules, mode, env.now), env)
}

/// The condition of one rule.
pub fn rule_condition(rule: &Rule, env: &Env) -> AppResult<Condition> {
    compile(&of_rule(rule, env.now), env)
}

fn compile(filter: &CustomerFilter, env: &Env) -> AppResult<Condition> {
    filter.compile(&FilterEnv {
        limits: LIMITS,
        ..env.filter_env()
    })
}

/// The filter of a segment's rules, `ALL` or `ANY` of them.
fn of_rules(rules: &[Rule], mode: Match, now: Time) -> CustomerFilter {
    let each: Vec<CustomerFilter> = rules.iter().map(|r| of_rule(r, now)).collect();
    match mode {
        Match::All => all(each),
        Match::Any => any(each),
    }
}

/// The filter of one rule.
fn of_rule(rule: &Rule, now: Time) -> CustomerFilter {
    let complement = match rule.op {
        Op::Neq => Some(Op::Eq),
        Op::NotIn => Some(Op::In),
        Op::IsNotSet => Some(Op::IsSet),
        _ => None,
    };
    match complement {
        Some(op) => not(positive(&rule.field, op, &rule.operand, now)),
        None => positive(&rule.field, rule.op, &rule.operand, now),
    }
}

/// Holds for every customer.
fn always() -> CustomerFilter {
    CustomerFilter::default()
}

/// Holds for none: a tag from an empty list.
fn never() -> CustomerFilter {
    CustomerFilter {
        tags_any: Some(Vec::new()),
        ..Default::default()
    }
}

fn not(filter: CustomerFilter) -> CustomerFilter {
    CustomerFilter {
        not: Some(Box::new(filter)),
        ..Default::default()
    }
}

fn all(filters: Vec<CustomerFilter>) -> CustomerFilter {
    CustomerFilter {
        and: Some(filters),
        ..Default::default()
    }
}

fn any(filters: Vec<CustomerFilter>) -> CustomerFilter {
    CustomerFilter {
        or: Some(filters),
        ..Default::default()
    }
}

/// Customers with a paid order: those with a churn risk, an RFM score, a
/// first and a last order date.
fn paying() -> CustomerFilter {
    CustomerFilter {
        min_orders: Some(1),
        ..Default::default()
    }
}

/// `field op operand` for the operators that are not complements.
fn positive(field: &Field, op: Op, operand: &Operand, now: Time) -> CustomerFilter {
    let one = match operand {
        Operand::One(s) => Some(s),
        _ => None,
    };
    if op == Op::In {
        let Operand::Many(items) = operand else {
            return never();
        };
        return one_of(field, items, now);
    }
    if op == Op::IsSet {
        return is_set(field);
    }
    let Some(value) = one else {
        return never();
    };
    match field.kind() {
        Kind::Money => money(op, value),
        Kind::Count => orders(op, value),
        Kind::Ratio => churn(op, value),
        Kind::Date => date(field, op, value, now),
        Kind::Choice => choice(field, value),
        Kind::Tags => match value {
            Scalar::Text(tag) => CustomerFilter {
                tags: Some(vec![tag.clone()]),
                ..Default::default()
            },
            _ => never(),
        },
        Kind::Text | Kind::Country => text(field, op, value),
        Kind::Json => metadata(field, op, value),
    }
}

fn one_of(field: &Field, items: &[Scalar], now: Time) -> CustomerFilter {
    let texts = || -> Vec<String> {
        items
            .iter()
            .filter_map(|s| match s {
                Scalar::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    };
    match (field, text_field(field)) {
        (Field::Tags, _) => CustomerFilter {
            tags_any: Some(texts()),
            ..Default::default()
        },
        (Field::RfmSegment, _) => CustomerFilter {
            rfm_segment: Some(
                items
                    .iter()
                    .filter_map(|s| match s {
                        Scalar::Segment(s) => Some(*s),
                        _ => None,
                    })
                    .collect(),
            ),
            ..Default::default()
        },
        (_, Some(text_field)) => CustomerFilter {
            text: Some(vec![TextCondition {
                one_of: Some(texts()),
                ..TextCondition::on(text_field)
            }]),
            ..Default::default()
        },
        _ => any(items
            .iter()
            .map(|item| positive(field, Op::Eq, &Operand::One(item.clone()), now))
            .collect()),
    }
}

fn is_set(field: &Field) -> CustomerFilter {
    match field {
        // Never missing.
        Field::TotalSpent | Field::TotalOrders | Field::CreatedAt => always(),
        Field::ChurnRisk | Field::LastOrderAt | Field::FirstOrderAt | Field::RfmSegment => paying(),
        Field::Tags => CustomerFilter {
            has_tags: Some(true),
            ..Default::default()
        },
        Field::Metadata(path) => CustomerFilter {
            metadata_paths: Some(vec![MetadataPathCondition {
                exists: Some(true),
                ..MetadataPathCondition::at(path.join("."))
            }]),
            ..Default::default()
        },
        _ => match text_field(field) {
            Some(text_field) => CustomerFilter {
                text: Some(vec![TextCondition {
                    exists: Some(true),
                    ..TextCondition::on(text_field)
                }]),
                ..Default::default()
            },
            // Status and consent always hold a value.
            None => always(),
        },
    }
}

/// `total_spent` against an amount in cents.
fn money(op: Op, value: &Scalar) -> CustomerFilter {
    let Scalar::Int(cents) = *value else {
        return never();
    };
    let (min, max) = match op {
        Op::Eq => (Some(cents), Some(cents)),
        Op::Gt => (cents.checked_add(1), None),
        Op::Gte => (Some(cents), None),
        Op::Lt => (None, cents.checked_sub(1)),
        Op::Lte => (None, Some(cents)),
        _ => return never(),
    };
    if matches!((op, min, max), (Op::Gt, None, _) | (Op::Lt, _, None)) {
        return never();
    }
    CustomerFilter {
        min_total_spent: min.map(Decimal::from),
        max_total_spent: max.map(Decimal::from),
        ..Default::default()
    }
}

/// `total_orders` against a count: bounds past what the filter's
/// `minOrders` and `maxOrders` take hold for all or for none.
fn orders(op: Op, value: &Scalar) -> CustomerFilter {
    let Scalar::Int(n) = *value else {
        return never();
    };
    let (min, max) = match op {
        Op::Eq => (Some(n), Some(n)),
        Op::Gt => (Some(n.saturating_add(1)), None),
        Op::Gte => (Some(n), None),
        Op::Lt => (None, Some(n.saturating_sub(1))),
        Op::Lte => (None, Some(n)),
        _ => return never(),
    };
    let too_high = |n: i64| n > i64::from(i32::MAX);
    if min.is_some_and(too_high) || max.is_some_and(|n| n < 0) {
        return never();
    }
    CustomerFilter {
        // Counts are never negative; none reaches `i32::MAX`.
        min_orders: min.filter(|n| *n > 0).and_then(|n| i32::try_from(n).ok()),
        max_orders: max.and_then(|n| i32::try_from(n).ok()),
        ..Default::default()
    }
}

/// `churn_risk` (0–1, none without a paid order) against a number.
fn churn(op: Op, value: &Scalar) -> CustomerFilter {
    let x = match *value {
        Scalar::Float(x) => x,
        Scalar::Int(n) => n as f64,
        _ => return never(),
    };
    let above = |x: f64| CustomerFilter {
        churn_risk_above: Some(x),
        ..Default::default()
    };
    let below = |x: f64| CustomerFilter {
        churn_risk_below: Some(x),
        ..Default::default()
    };
    // With a churn risk and not on the wrong side of `x`: a paying
    // customer's risk is never unknown.
    let paying_and_not = |wrong: CustomerFilter| CustomerFilter {
        min_orders: Some(1),
        not: Some(Box::new(wrong)),
        ..Default::default()
    };
    let inside = (0.0..=1.0).contains(&x);
    match op {
        Op::Eq if inside => paying_and_not(any(vec![above(x), below(x)])),
        Op::Gt | Op::Gte if x < 0.0 => paying(),
        Op::Gt if x < 1.0 => above(x),
        Op::Gte if x <= 1.0 => paying_and_not(below(x)),
        Op::Lt | Op::Lte if x > 1.0 => paying(),
        Op::Lt if x > 0.0 => below(x),
        Op::Lte if x >= 0.0 => paying_and_not(above(x)),
        _ => never(),
    }
}

fn date(field: &Field, op: Op, value: &Scalar, now: Time) -> CustomerFilter {
    let Scalar::Time(when) = value else {
        return never();
    };
    let at = Some(DateTime(When::resolve(*when, now)));
    let (after, before) = match op {
        Op::After => (at, None),
        Op::Before => (None, at),
        _ => return never(),
    };
    match field {
        Field::CreatedAt => CustomerFilter {
            created_after: after,
            created_before: before,
            ..Default::default()
        },
        Field::LastOrderAt => CustomerFilter {
            last_order_after: after,
            last_order_before: before,
            ..Default::default()
        },
        Field::FirstOrderAt => CustomerFilter {
            first_order_after: after,
            first_order_before: before,
            ..Default::default()
        },
        _ => never(),
    }
}

fn choice(field: &Field, value: &Scalar) -> CustomerFilter {
    let consent = |s: &str| match s {
        "SUBSCRIBED" => Some(ConsentState::Subscribed),
        "UNSUBSCRIBED" => Some(ConsentState::Unsubscribed),
        "PENDING" => Some(ConsentState::Pending),
        "NOT_SUBSCRIBED" => Some(ConsentState::NotSubscribed),
        _ => None,
    };
    match (field, value) {
        (Field::RfmSegment, Scalar::Segment(s)) => CustomerFilter {
            rfm_segment: Some(vec![*s]),
            ..Default::default()
        },
        (Field::Status, Scalar::Text(s)) => CustomerFilter {
            status: Some(if s == "ARCHIVED" {
                CustomerStatus::Archived
            } else {
                CustomerStatus::Active
            }),
            ..Default::default()
        },
        (Field::EmailConsent, Scalar::Text(s)) => CustomerFilter {
            email_consent: consent(s).map(|c| vec![c]),
            ..Default::default()
        },
        (Field::SmsConsent, Scalar::Text(s)) => CustomerFilter {
            sms_consent: consent(s).map(|c| vec![c]),
            ..Default::default()
        },
        _ => never(),
    }
}

fn text_field(field: &Field) -> Option<TextField> {
    Some(match field {
        Field::Name => TextField::Name,
        Field::Email => TextField::Email,
        Field::Source => TextField::Source,
        Field::City => TextField::City,
        Field::Country => TextField::Country,
        Field::Locale => TextField::Locale,
        Field::Currency => TextField::Currency,
        _ => return None,
    })
}

fn text(field: &Field, op: Op, value: &Scalar) -> CustomerFilter {
    let (Some(text_field), Scalar::Text(value)) = (text_field(field), value) else {
        return never();
    };
    let value = Some(value.clone());
    let condition = match op {
        Op::Eq => TextCondition {
            equals: value,
            ..TextCondition::on(text_field)
        },
        Op::Contains => TextCondition {
            contains: value,
            ..TextCondition::on(text_field)
        },
        Op::StartsWith => TextCondition {
            starts_with: value,
            ..TextCondition::on(text_field)
        },
        _ => return never(),
    };
    CustomerFilter {
        text: Some(vec![condition]),
        ..Default::default()
    }
}

fn metadata(field: &Field, op: Op, value: &Scalar) -> CustomerFilter {
    let Field::Metadata(path) = field else {
        return never();
    };
    let json = match value {
        Scalar::Text(t) => serde_json::Value::from(t.clone()),
        Scalar::Float(f) => serde_json::Value::from(*f),
        Scalar::Int(n) => serde_json::Value::from(*n),
        Scalar::Bool(b) => serde_json::Value::from(*b),
        _ => return never(),
    };
    let some = Some(async_graphql::Json(json));
    let text = match value {
        Scalar::Text(t) => Some(t.clone()),
        _ => None,
    };
    let base = MetadataPathCondition::at(path.join("."));
    let condition = match op {
        Op::Eq => MetadataPathCondition {
            equals: some,
            ..base
        },
        Op::Gt | Op::After => MetadataPathCondition { gt: some, ..base },
        Op::Gte => MetadataPathCondition { gte: some, ..base },
        Op::Lt | Op::Before => MetadataPathCondition { lt: some, ..base },
        Op::Lte => MetadataPathCondition { lte: some, ..base },
        Op::Contains => MetadataPathCondition {
            contains: text,
            ..base
        },
        Op::StartsWith => MetadataPathCondition {
            starts_with: text,
            ..base
        },
        _ => return never(),
    };
    CustomerFilter {
        metadata_paths: Some(vec![condition]),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segments::rule::RawRule;
    use serde_json::json;

    fn read(field: &str, operator: &str, value: serde_json::Value) -> serde_json::Value {
        let rule = Rule::parse(
            &RawRule {
                field: field.into(),
                operator: operator.into(),
                value,
            },
            "rules.0",
        )
        .expect("a good rule");
        use async_graphql::InputType as _;
        of_rule(&rule, chrono::Utc::now())
            .to_value()
            .into_json()
            .expect("json")
    }

    #[test]
    fn bounds_read_as_the_filters_inclusive_ranges() {
        assert_eq!(
            read("total_spent", "gt", json!("99.99"))["minTotalSpent"],
            json!("100.00")
        );
        assert_eq!(read("total_orders", "lt", json!(3))["maxOrders"], json!(2));
        assert_eq!(
            read("total_orders", "gt", json!(-5))["minOrders"],
            json!(null)
        );
    }

    #[test]
    fn complements_are_nots() {
        let neq = read("country", "neq", json!("de"));
        assert_eq!(neq["not"]["text"][0]["equals"], json!("DE"));
        assert_eq!(neq["not"]["text"][0]["field"], json!("COUNTRY"));
        let unset = read("tags", "is_not_set", serde_json::Value::Null);
        assert_eq!(unset["not"]["hasTags"], json!(true));
    }

    #[test]
    fn impossible_bounds_hold_for_none() {
        assert_eq!(read("churn_risk", "gt", json!(1.5))["tagsAny"], json!([]));
        assert_eq!(
            read("total_orders", "gt", json!(i64::MAX))["tagsAny"],
            json!([])
        );
    }

    #[test]
    fn rfm_lists_stay_lists() {
        let rfm = read("rfm_segment", "in", json!(["champions", "at_risk"]));
        assert_eq!(rfm["rfmSegment"], json!(["CHAMPIONS", "AT_RISK"]));
    }
}
