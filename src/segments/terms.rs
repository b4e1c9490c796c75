//! What a rule can say: the fields it looks at and their kinds, the
//! operators, and relative times (`90_days_ago`).

use chrono::{Duration, Utc};

use crate::profiles::json_path::JsonPath;

type Time = chrono::DateTime<Utc>;

/// What a rule looks at.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    TotalSpent,
    TotalOrders,
    ChurnRisk,
    LastOrderAt,
    FirstOrderAt,
    CreatedAt,
    RfmSegment,
    Tags,
    Email,
    Name,
    Status,
    Source,
    Country,
    City,
    EmailConsent,
    SmsConsent,
    Locale,
    Currency,
    /// `metadata.plan` or `metadata.plan.tier`: the keys of the path.
    Metadata(Vec<String>),
}

/// The family of a field, which decides its operators and values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Money,
    Count,
    Ratio,
    Date,
    Choice,
    Tags,
    Text,
    Country,
    Json,
}

impl Field {
    pub(super) fn parse(raw: &str) -> Option<Field> {
        Some(match raw {
            "total_spent" => Field::TotalSpent,
            "total_orders" => Field::TotalOrders,
            "churn_risk" => Field::ChurnRisk,
            "last_order_at" => Field::LastOrderAt,
            "first_order_at" => Field::FirstOrderAt,
            "created_at" => Field::CreatedAt,
            "rfm_segment" => Field::RfmSegment,
            "tags" => Field::Tags,
            "email" => Field::Email,
            "name" => Field::Name,
            "status" => Field::Status,
            "source" => Field::Source,
            "country" => Field::Country,
            "city" => Field::City,
            "email_consent" => Field::EmailConsent,
            "sms_consent" => Field::SmsConsent,
            "locale" => Field::Locale,
            "currency" => Field::Currency,
            _ => Field::Metadata(JsonPath::keys(raw.strip_prefix("metadata.")?)?),
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Field::TotalSpent => Kind::Money,
            Field::TotalOrders => Kind::Count,
            Field::ChurnRisk => Kind::Ratio,
            Field::LastOrderAt | Field::FirstOrderAt | Field::CreatedAt => Kind::Date,
            Field::RfmSegment | Field::Status | Field::EmailConsent | Field::SmsConsent => {
                Kind::Choice
            }
            Field::Tags => Kind::Tags,
            Field::Email
            | Field::Name
            | Field::Source
            | Field::City
            | Field::Locale
            | Field::Currency => Kind::Text,
            Field::Country => Kind::Country,
            Field::Metadata(_) => Kind::Json,
        }
    }
}

/// A rule's operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    NotIn,
    Contains,
    StartsWith,
    Before,
    After,
    IsSet,
    IsNotSet,
}

impl Op {
    pub(super) fn parse(raw: &str) -> Option<Op> {
        Some(match raw {
            "eq" => Op::Eq,
            "neq" => Op::Neq,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "in" => Op::In,
            "not_in" => Op::NotIn,
            "contains" => Op::Contains,
            "starts_with" => Op::StartsWith,
            "before" => Op::Before,
            "after" => Op::After,
            "is_set" => Op::IsSet,
            "is_not_set" => Op::IsNotSet,
            _ => return None,
        })
    }

    /// The operators a kind of field takes.
    pub fn fits(self, kind: Kind) -> bool {
        use Op::*;
        let ops: &[Op] = match kind {
            Kind::Money | Kind::Count | Kind::Ratio => {
                &[Eq, Neq, Gt, Gte, Lt, Lte, In, NotIn, IsSet, IsNotSet]
            }
            Kind::Date => &[Before, After, IsSet, IsNotSet],
            Kind::Choice => &[Eq, Neq, In, NotIn],
            Kind::Tags => &[Contains, In, NotIn, IsSet, IsNotSet],
            Kind::Text => &[Eq, Neq, In, NotIn, Contains, StartsWith, IsSet, IsNotSet],
            Kind::Country => &[Eq, Neq, In, NotIn, IsSet, IsNotSet],
            Kind::Json => &[
                Eq, Neq, Gt, Gte, Lt, Lte, Before, After, In, NotIn, Contains, StartsWith, IsSet,
                IsNotSet,
            ],
        };
        ops.contains(&self)
    }
}

/// A point in time: fixed, or relative to when the rule is evaluated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum When {
    At(Time),
    Ago(Duration),
}

impl When {
    pub fn resolve(self, now: Time) -> Time {
        match self {
            When::At(t) => t,
            When::Ago(d) => now - d,
        }
    }

    /// RFC 3339, `"now"`, or `"<n>_<minutes|hours|days|weeks>_ago"`.
    pub(super) fn parse(raw: &str) -> Option<When> {
        if raw == "now" {
            return Some(When::Ago(Duration::zero()));
        }
        if let Some(rest) = raw.strip_suffix("_ago") {
            let (n, unit) = rest.split_once('_')?;
            let n: i64 = n.parse().ok().filter(|n| (0..=100_000).contains(n))?;
            let d = match unit {
                "minute" | "minutes" => Duration::minutes(n),
                "hour" | "hours" => Duration::hours(n),
                "day" | "days" => Duration::days(n),
                "week" | "weeks" => Duration::weeks(n),
                _ => return None,
            };
            return Some(When::Ago(d));
        }
        chrono::DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|t| When::At(t.with_timezone(&Utc)))
    }
}
