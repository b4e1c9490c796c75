//! The fields a query names, with their types and the comparisons each
//! takes: what the text form reads and what `customerFilterFields` lists.

use async_graphql::{Enum, SimpleObject};

/// How a field's values are written and compared.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FilterFieldType {
    /// Text, compared as stored (a city, a source).
    Text,
    /// An email address, compared ignoring case.
    Email,
    /// A tag.
    Tag,
    /// One of a list of names (`values`), in any case.
    Enum,
    /// An ID of another object (`loc_…`, `seg_…`).
    Id,
    /// An amount of money: `100`, `99.50`.
    Money,
    /// A whole number.
    Integer,
    /// A number from 0 to 1.
    Ratio,
    /// A point in time: a date (`2024-05-01`, the whole day in UTC) or an
    /// RFC 3339 date-time.
    DateTime,
    /// A number (a custom field of type NUMBER or DECIMAL).
    Number,
    /// `true` or `false`.
    Boolean,
    /// A calendar date, `YYYY-MM-DD` (a custom field of type DATE).
    Date,
}

/// A comparison a term makes, as written after `name:`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FilterOperator {
    /// `name:value`.
    Equals,
    /// `name:>value`.
    GreaterThan,
    /// `name:>=value`.
    GreaterThanOrEqual,
    /// `name:<value`.
    LessThan,
    /// `name:<=value`.
    LessThanOrEqual,
    /// `name:low..high`, both ends included; either may be left out.
    Between,
    /// `name:prefix*`.
    StartsWith,
    /// `name:*`: has a value.
    Exists,
    /// A bare word or "quoted phrase": a case- and accent-insensitive
    /// substring of name, email, phone or company.
    Contains,
}

/// One field a customer query or filter can name.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct FilterField {
    /// The name a query writes before `:` (`total_spent`); custom fields
    /// are `field.<key>`. The bare-word search is named `search`.
    pub name: String,
    /// Other names the query accepts for it.
    pub aliases: Vec<String>,
    /// How its values are written and compared.
    #[graphql(name = "type")]
    pub kind: FilterFieldType,
    /// The comparisons the field takes.
    pub operators: Vec<FilterOperator>,
    /// The names an `ENUM` field takes; empty for other types.
    pub values: Vec<String>,
    /// What the field holds.
    pub description: String,
    /// A term using it.
    pub example: String,
}

/// A built-in field of the query language.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Builtin {
    Search,
    Name,
    Email,
    Tag,
    Status,
    Country,
    City,
    Source,
    Locale,
    Currency,
    Location,
    Segment,
    TotalSpent,
    Orders,
    AverageOrderValue,
    CreatedAt,
    UpdatedAt,
    FirstOrderAt,
    LastOrderAt,
    EmailConsent,
    SmsConsent,
    RfmSegment,
    ChurnRisk,
}

use FilterOperator as Op;

const RANGE: &[Op] = &[
    Op::Equals,
    Op::GreaterThan,
    Op::GreaterThanOrEqual,
    Op::LessThan,
    Op::LessThanOrEqual,
    Op::Between,
];

/// Each built-in field: name, aliases, type, operators, description,
/// example.
type Row = (
    Builtin,
    &'static str,
    &'static [&'static str],
    FilterFieldType,
    &'static [Op],
    &'static str,
    &'static str,
);

const BUILTINS: &[Row] = &[
    (
        Builtin::Search,
        "search",
        &[],
        FilterFieldType::Text,
        &[Op::Contains],
        "A bare word or \"quoted phrase\": a substring of name, email, phone or company, ignoring case and accents.",
        "\"ana lopez\"",
    ),
    (
        Builtin::Email,
        "email",
        &[],
        FilterFieldType::Email,
        &[Op::Equals, Op::StartsWith],
        "The email address, ignoring case; `ali*` matches by its beginning.",
        "email:ali*",
    ),
    (
        Builtin::Tag,
        "tag",
        &["tags"],
        FilterFieldType::Tag,
        &[Op::Equals, Op::Exists],
        "Has this tag (`tag:*`: has any tag).",
        "tag:vip",
    ),
    (
        Builtin::Status,
        "status",
        &[],
        FilterFieldType::Enum,
        &[Op::Equals],
        "ACTIVE or ARCHIVED.",
        "status:active",
    ),
    (
        Builtin::Country,
        "country",
        &[],
        FilterFieldType::Text,
        &[Op::Equals],
        "The address's ISO 3166-1 alpha-2 country code.",
        "country:DE",
    ),
    (
        Builtin::Name,
        "name",
        &[],
        FilterFieldType::Text,
        &[Op::Equals, Op::StartsWith, Op::Exists],
        "The display name, ignoring case and accents.",
        "name:\"maria lopez\"",
    ),
    (
        Builtin::Locale,
        "locale",
        &[],
        FilterFieldType::Text,
        &[Op::Equals, Op::StartsWith, Op::Exists],
        "The preferred locale, as stored.",
        "locale:de*",
    ),
    (
        Builtin::Currency,
        "currency",
        &[],
        FilterFieldType::Text,
        &[Op::Equals, Op::Exists],
        "The ISO 4217 currency, in any case.",
        "currency:eur",
    ),
    (
        Builtin::City,
        "city",
        &[],
        FilterFieldType::Text,
        &[Op::Equals],
        "The address's city, as stored.",
        "city:\"New York\"",
    ),
    (
        Builtin::Source,
        "source",
        &[],
        FilterFieldType::Text,
        &[Op::Equals],
        "Where the customer came from, as stored.",
        "source:shopify",
    ),
    (
        Builtin::Location,
        "location",
        &["location_id"],
        FilterFieldType::Id,
        &[Op::Equals],
        "A customer of this location (`loc_…`).",
        "location:loc_…",
    ),
    (
        Builtin::Segment,
        "segment",
        &["segment_id"],
        FilterFieldType::Id,
        &[Op::Equals],
        "A member of this segment (`seg_…`); only outside OR and NOT.",
        "segment:seg_…",
    ),
    (
        Builtin::TotalSpent,
        "total_spent",
        &["spent"],
        FilterFieldType::Money,
        RANGE,
        "The sum of the paid orders.",
        "total_spent:>100",
    ),
    (
        Builtin::Orders,
        "orders",
        &["total_orders", "orders_count"],
        FilterFieldType::Integer,
        RANGE,
        "How many paid orders.",
        "orders:2..5",
    ),
    (
        Builtin::AverageOrderValue,
        "average_order_value",
        &["aov"],
        FilterFieldType::Money,
        RANGE,
        "The average paid order; none without a paid order.",
        "aov:>=50",
    ),
    (
        Builtin::CreatedAt,
        "created_at",
        &["created"],
        FilterFieldType::DateTime,
        RANGE,
        "When the customer was created.",
        "created_at:>=2024-01-01",
    ),
    (
        Builtin::UpdatedAt,
        "updated_at",
        &["updated"],
        FilterFieldType::DateTime,
        RANGE,
        "When the customer last changed.",
        "updated_at:>2024-06-01T12:00:00Z",
    ),
    (
        Builtin::FirstOrderAt,
        "first_order_at",
        &["first_order"],
        FilterFieldType::DateTime,
        RANGE,
        "When the first paid order was placed.",
        "first_order_at:2024-01-01..2024-03-31",
    ),
    (
        Builtin::LastOrderAt,
        "last_order_at",
        &["last_order"],
        FilterFieldType::DateTime,
        RANGE,
        "When the last paid order was placed.",
        "last_order_at:<2024-01-01",
    ),
    (
        Builtin::EmailConsent,
        "email_consent",
        &["accepts_marketing"],
        FilterFieldType::Enum,
        &[Op::Equals],
        "The email marketing consent state.",
        "email_consent:subscribed",
    ),
    (
        Builtin::SmsConsent,
        "sms_consent",
        &[],
        FilterFieldType::Enum,
        &[Op::Equals],
        "The SMS marketing consent state.",
        "sms_consent:subscribed",
    ),
    (
        Builtin::RfmSegment,
        "rfm_segment",
        &["rfm"],
        FilterFieldType::Enum,
        &[Op::Equals],
        "The RFM segment (NONE: no paid order).",
        "rfm_segment:champions",
    ),
    (
        Builtin::ChurnRisk,
        "churn_risk",
        &["churn"],
        FilterFieldType::Ratio,
        &[Op::GreaterThan, Op::LessThan],
        "The churn risk, 0–1; none without a paid order.",
        "churn_risk:>0.7",
    ),
];

/// The built-in field a name (or alias) names.
pub fn builtin(name: &str) -> Option<Builtin> {
    BUILTINS
        .iter()
        .find(|row| row.1 == name || row.2.contains(&name))
        .map(|row| row.0)
}

/// The names an `ENUM` field takes.
fn values(field: Builtin) -> Vec<String> {
    let names: Vec<&str> = match field {
        Builtin::Status => vec!["ACTIVE", "ARCHIVED"],
        Builtin::EmailConsent | Builtin::SmsConsent => {
            vec!["SUBSCRIBED", "UNSUBSCRIBED", "PENDING", "NOT_SUBSCRIBED"]
        }
        Builtin::RfmSegment => crate::profiles::metrics::RfmSegment::ALL
            .iter()
            .map(|s| s.name())
            .collect(),
        _ => Vec::new(),
    };
    names.into_iter().map(str::to_owned).collect()
}

/// Every built-in field, described.
pub fn builtins() -> Vec<FilterField> {
    BUILTINS
        .iter()
        .map(
            |&(field, name, aliases, kind, operators, description, example)| FilterField {
                name: name.to_owned(),
                aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
                kind,
                operators: operators.to_vec(),
                values: values(field),
                description: description.to_owned(),
                example: example.to_owned(),
            },
        )
        .collect()
}

/// The operators a built-in field takes.
pub fn operators(field: Builtin) -> &'static [Op] {
    BUILTINS
        .iter()
        .find(|row| row.0 == field)
        .map_or(&[], |row| row.4)
}
