//! A read query turned into the filter tree it means: each term a filter
//! of one condition, `AND`, `OR` and `NOT` the tree's `and`, `or` and
//! `not`. Every error points at the term's character.

use async_graphql::{ID, Json};
use chrono::{Duration, NaiveDate, TimeZone as _, Utc};
use entity::custom_field::FieldType;
use serde_json::Value;

use super::QueryError;
use super::fields::{self, Builtin, FilterOperator};
use super::syntax::{Node, Term};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::ids::{self, Kind};
use crate::profiles::consent::ConsentState;
use crate::profiles::fields::{CustomFieldFilter, Fields};
use crate::profiles::filter::CustomerFilter;
use crate::profiles::filter::MAX_BRANCHES;
use crate::profiles::filter_text::{MetadataPathCondition, TextCondition, TextField};
use crate::profiles::input::CustomerStatus;
use crate::profiles::json_path::JsonPath;
use crate::profiles::metrics::RfmSegment;

/// How deep groups, `OR` and `NOT` nest in a query: one less than a
/// filter's, so that a query fits beside a `filter` argument.
pub const MAX_NESTING: usize = crate::profiles::filter::MAX_DEPTH - 1;

type Lowered = Result<CustomerFilter, QueryError>;

/// The filter `node` means; `fields` types the custom fields it names.
pub fn lower(node: &Node, fields: &Fields) -> Lowered {
    if nesting(node) > MAX_NESTING {
        return Err(QueryError::new(
            start(node),
            format!("groups, OR and NOT nest at most {MAX_NESTING} deep"),
        ));
    }
    let mut top = CustomerFilter::default();
    let parts: Vec<&Node> = match node {
        Node::And(all) => all.iter().collect(),
        other => vec![other],
    };
    // A segment can only scope the whole query, and a search at the top
    // takes the search plan: both stay on the top filter.
    let mut rest = Vec::new();
    for part in parts {
        match part {
            Node::Term(t) if is(t, Builtin::Segment) && top.segment_id.is_none() => {
                top.segment_id = Some(segment(t)?);
            }
            Node::Term(t) if t.name.is_none() && top.search.is_none() => {
                top.search = Some(search(t)?);
            }
            other => rest.push(other),
        }
    }
    match rest.len() {
        0 => {}
        1 if top.segment_id.is_none() && top.search.is_none() => {
            return filter(rest[0], fields);
        }
        _ => top.and = Some(group(&rest, fields)?),
    }
    Ok(top)
}

fn is(t: &Term, field: Builtin) -> bool {
    t.name.as_deref().and_then(fields::builtin) == Some(field)
}

/// How deep `node` nests groups.
fn nesting(node: &Node) -> usize {
    match node {
        Node::Term(_) => 0,
        Node::And(list) | Node::Or(list) => 1 + list.iter().map(nesting).max().unwrap_or(0),
        Node::Not(inner) => 1 + nesting(inner),
    }
}

/// The character `node` starts at.
fn start(node: &Node) -> usize {
    match node {
        Node::Term(t) => t.at,
        Node::And(list) | Node::Or(list) => list.first().map_or(0, start),
        Node::Not(inner) => start(inner).saturating_sub(1),
    }
}

fn group(nodes: &[&Node], fields: &Fields) -> Result<Vec<CustomerFilter>, QueryError> {
    if let Some(extra) = nodes.get(MAX_BRANCHES) {
        return Err(QueryError::new(
            start(extra),
            format!("a group holds at most {MAX_BRANCHES} terms; group them with parentheses"),
        ));
    }
    nodes.iter().map(|n| filter(n, fields)).collect()
}

fn filter(node: &Node, fields: &Fields) -> Lowered {
    Ok(match node {
        Node::Term(t) => term(t, fields)?,
        Node::And(list) => CustomerFilter {
            and: Some(group(&list.iter().collect::<Vec<_>>(), fields)?),
            ..Default::default()
        },
        Node::Or(list) => CustomerFilter {
            or: Some(group(&list.iter().collect::<Vec<_>>(), fields)?),
            ..Default::default()
        },
        Node::Not(inner) => CustomerFilter {
            not: Some(Box::new(filter(inner, fields)?)),
            ..Default::default()
        },
    })
}

/// What a term's value compares with.
enum Cmp {
    Equals(String),
    Greater(String),
    GreaterOrEqual(String),
    Less(String),
    LessOrEqual(String),
    Between(Option<String>, Option<String>),
    StartsWith(String),
    Exists,
}

impl Cmp {
    fn read(t: &Term) -> Cmp {
        let v = t.value.as_str();
        if t.quoted {
            return Cmp::Equals(v.to_owned());
        }
        if let Some(rest) = v.strip_prefix(">=") {
            Cmp::GreaterOrEqual(rest.to_owned())
        } else if let Some(rest) = v.strip_prefix('>') {
            Cmp::Greater(rest.to_owned())
        } else if let Some(rest) = v.strip_prefix("<=") {
            Cmp::LessOrEqual(rest.to_owned())
        } else if let Some(rest) = v.strip_prefix('<') {
            Cmp::Less(rest.to_owned())
        } else if let Some((low, high)) = v.split_once("..") {
            let end = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            Cmp::Between(end(low), end(high))
        } else if v == "*" {
            Cmp::Exists
        } else if let Some(prefix) = v.strip_suffix('*') {
            Cmp::StartsWith(prefix.to_owned())
        } else {
            Cmp::Equals(v.to_owned())
        }
    }

    fn operator(&self) -> FilterOperator {
        match self {
            Cmp::Equals(_) => FilterOperator::Equals,
            Cmp::Greater(_) => FilterOperator::GreaterThan,
            Cmp::GreaterOrEqual(_) => FilterOperator::GreaterThanOrEqual,
            Cmp::Less(_) => FilterOperator::LessThan,
            Cmp::LessOrEqual(_) => FilterOperator::LessThanOrEqual,
            Cmp::Between(..) => FilterOperator::Between,
            Cmp::StartsWith(_) => FilterOperator::StartsWith,
            Cmp::Exists => FilterOperator::Exists,
        }
    }
}

/// A value's span `[start, end)` in a field's units: a day is the whole
/// day, an instant one microsecond (what the columns hold), an amount one
/// cent, a count one.
type Span<T> = (T, T);

/// Lower and upper bounds, both included, of a comparison over spans.
fn bounds<T: Copy + PartialOrd>(
    cmp: &Cmp,
    span: impl Fn(&str, usize) -> Result<Span<T>, QueryError>,
    t: &Term,
    before_end: impl Fn(T) -> Result<T, QueryError>,
) -> Result<(Option<T>, Option<T>), QueryError> {
    let at = t.value_at;
    let op_len = |s: &str| t.value.chars().count() - s.chars().count();
    Ok(match cmp {
        Cmp::Equals(v) => {
            let (s, e) = span(v, at)?;
            (Some(s), Some(before_end(e)?))
        }
        Cmp::Greater(v) => (Some(span(v, at + op_len(v))?.1), None),
        Cmp::GreaterOrEqual(v) => (Some(span(v, at + op_len(v))?.0), None),
        Cmp::Less(v) => (None, Some(before_end(span(v, at + op_len(v))?.0)?)),
        Cmp::LessOrEqual(v) => (None, Some(before_end(span(v, at + op_len(v))?.1)?)),
        Cmp::Between(low, high) => {
            let low_len = low.as_deref().map_or(0, |l| l.chars().count());
            let low = low.as_deref().map(|l| span(l, at)).transpose()?;
            let high = high
                .as_deref()
                .map(|h| span(h, at + low_len + 2))
                .transpose()?;
            if low.is_none() && high.is_none() {
                return Err(QueryError::new(at, "give at least one end of the range"));
            }
            if let (Some(low), Some(high)) = (low, high)
                && low.0 >= high.1
            {
                return Err(QueryError::new(
                    at + low_len + 2,
                    "the range ends before it starts",
                ));
            }
            (low.map(|l| l.0), high.map(|h| before_end(h.1)).transpose()?)
        }
        Cmp::StartsWith(_) | Cmp::Exists => unreachable!("checked against the field's operators"),
    })
}

/// Most characters of a term's text, as the filters take it.
const MAX_TEXT: usize = 255;

fn search(t: &Term) -> Result<String, QueryError> {
    if t.value.chars().count() > MAX_TEXT {
        return Err(QueryError::new(
            t.at,
            format!("a search is at most {MAX_TEXT} characters"),
        ));
    }
    Ok(t.value.clone())
}

fn segment(t: &Term) -> Result<ID, QueryError> {
    ids::decode(Kind::Segment, t.value.trim())
        .map(|_| ID(t.value.trim().to_owned()))
        .ok_or_else(|| QueryError::new(t.value_at, "not a segment ID (`seg_…`)"))
}

fn term(t: &Term, fields: &Fields) -> Lowered {
    let Some(name) = &t.name else {
        return Ok(CustomerFilter {
            search: Some(search(t)?),
            ..Default::default()
        });
    };
    if let Some(key) = name.strip_prefix("field.") {
        return custom(t, key, fields);
    }
    if let Some(path) = name.strip_prefix("metadata.") {
        return metadata(t, path);
    }
    let field = fields::builtin(name).ok_or_else(|| {
        QueryError::new(
            t.at,
            format!("unknown field `{name}` (customerFilterFields lists them)"),
        )
    })?;
    let cmp = Cmp::read(t);
    if !fields::operators(field).contains(&cmp.operator()) {
        return Err(QueryError::new(
            t.value_at,
            format!("`{name}` cannot be compared with {:?}", cmp.operator()),
        ));
    }
    if let Cmp::Equals(v) | Cmp::StartsWith(v) = &cmp
        && v.chars().count() > MAX_TEXT
    {
        return Err(QueryError::new(
            t.value_at,
            format!("a value is at most {MAX_TEXT} characters"),
        ));
    }
    let text = || match &cmp {
        Cmp::Equals(v) | Cmp::StartsWith(v) => v.clone(),
        _ => String::new(),
    };
    let mut f = CustomerFilter::default();
    match field {
        Builtin::Search => f.search = Some(search(t)?),
        Builtin::Email => match &cmp {
            Cmp::StartsWith(prefix) => f.email_starts_with = Some(prefix.clone()),
            _ => f.email = Some(text()),
        },
        Builtin::Tag => match &cmp {
            Cmp::Exists => f.has_tags = Some(true),
            _ => f.tags = Some(vec![text()]),
        },
        Builtin::Name | Builtin::Locale | Builtin::Currency => {
            let field = match field {
                Builtin::Name => TextField::Name,
                Builtin::Locale => TextField::Locale,
                _ => TextField::Currency,
            };
            let mut condition = TextCondition::on(field);
            match &cmp {
                Cmp::StartsWith(prefix) => condition.starts_with = Some(prefix.clone()),
                Cmp::Exists => condition.exists = Some(true),
                _ => condition.equals = Some(text()),
            }
            f.text = Some(vec![condition]);
        }
        Builtin::Status => {
            f.status = Some(named(
                t,
                &[CustomerStatus::Active, CustomerStatus::Archived],
                |s| s.as_str(),
            )?)
        }
        Builtin::Country => {
            let code = crate::profiles::checks::country("query", &text())
                .map_err(|e| QueryError::new(t.value_at, e.message()))?;
            f.country = Some(code.unwrap_or_default());
        }
        Builtin::City => f.city = Some(text()),
        Builtin::Source => f.source = Some(text()),
        Builtin::Location => {
            ids::decode(Kind::Location, text().trim())
                .ok_or_else(|| QueryError::new(t.value_at, "not a location ID (`loc_…`)"))?;
            f.location_id = Some(ID(text().trim().to_owned()));
        }
        Builtin::Segment => {
            return Err(QueryError::new(
                t.at,
                "`segment:` scopes the whole query: once, outside OR, NOT and parentheses",
            ));
        }
        Builtin::TotalSpent | Builtin::AverageOrderValue => {
            let (low, high) = bounds(&cmp, money, t, |c: i64| Ok(c - 1))?;
            let (low, high) = (low.map(Decimal::from), high.map(Decimal::from));
            if field == Builtin::TotalSpent {
                (f.min_total_spent, f.max_total_spent) = (low, high);
            } else {
                (f.min_average_order_value, f.max_average_order_value) = (low, high);
            }
        }
        Builtin::Orders => {
            let (low, high) = bounds(&cmp, count, t, |n: i64| Ok(n - 1))?;
            let fit = |n: i64| {
                i32::try_from(n).map_err(|_| QueryError::new(t.value_at, "too large a count"))
            };
            f.min_orders = low.map(fit).transpose()?;
            f.max_orders = high.map(fit).transpose()?;
        }
        Builtin::CreatedAt | Builtin::UpdatedAt | Builtin::FirstOrderAt | Builtin::LastOrderAt => {
            // The filter's bounds are exclusive: after `low − 1µs`, before
            // `high + 1µs`.
            let micro = Duration::microseconds(1);
            let (low, high) = bounds(&cmp, instant, t, |e| Ok(e - micro))?;
            let after = low.map(|l| DateTime(l - micro));
            let before = high.map(|h| DateTime(h + micro));
            let slots = match field {
                Builtin::CreatedAt => (&mut f.created_after, &mut f.created_before),
                Builtin::UpdatedAt => (&mut f.updated_after, &mut f.updated_before),
                Builtin::FirstOrderAt => (&mut f.first_order_after, &mut f.first_order_before),
                _ => (&mut f.last_order_after, &mut f.last_order_before),
            };
            (*slots.0, *slots.1) = (after, before);
        }
        Builtin::EmailConsent | Builtin::SmsConsent => {
            let all = [
                ConsentState::Subscribed,
                ConsentState::Unsubscribed,
                ConsentState::Pending,
                ConsentState::NotSubscribed,
            ];
            let state = named(t, &all, consent_name)?;
            if field == Builtin::EmailConsent {
                f.email_consent = Some(vec![state]);
            } else {
                f.sms_consent = Some(vec![state]);
            }
        }
        Builtin::RfmSegment => {
            f.rfm_segment = Some(vec![named(t, &RfmSegment::ALL, |s| s.name())?])
        }
        Builtin::ChurnRisk => {
            let (Cmp::Greater(v) | Cmp::Less(v)) = &cmp else {
                unreachable!("checked against the field's operators")
            };
            let x = v
                .parse::<f64>()
                .ok()
                .filter(|x| (0.0..=1.0).contains(x))
                .ok_or_else(|| QueryError::new(t.value_at + 1, "a number from 0 to 1"))?;
            if matches!(cmp, Cmp::Greater(_)) {
                f.churn_risk_above = Some(x);
            } else {
                f.churn_risk_below = Some(x);
            }
        }
    }
    Ok(f)
}

fn consent_name(s: &ConsentState) -> &'static str {
    match s {
        ConsentState::Subscribed => "SUBSCRIBED",
        ConsentState::Unsubscribed => "UNSUBSCRIBED",
        ConsentState::Pending => "PENDING",
        ConsentState::NotSubscribed => "NOT_SUBSCRIBED",
    }
}

/// The one of `all` whose name the term's value spells, in any case.
fn named<T: Copy>(t: &Term, all: &[T], name: impl Fn(&T) -> &'static str) -> Result<T, QueryError> {
    all.iter()
        .find(|v| name(v).eq_ignore_ascii_case(t.value.trim()))
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(&name).collect();
            QueryError::new(t.value_at, format!("one of {}", names.join(", ")))
        })
}

fn money(v: &str, at: usize) -> Result<Span<i64>, QueryError> {
    let cents = Decimal::parse_str(v)
        .map(Decimal::cents)
        .ok_or_else(|| QueryError::new(at, "an amount such as 100 or 99.50"))?;
    Ok((cents, cents.saturating_add(1)))
}

fn count(v: &str, at: usize) -> Result<Span<i64>, QueryError> {
    let n = v
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=i64::from(i32::MAX)).contains(n))
        .ok_or_else(|| QueryError::new(at, "a whole number, 0 or more"))?;
    Ok((n, n + 1))
}

fn instant(v: &str, at: usize) -> Result<Span<chrono::DateTime<Utc>>, QueryError> {
    if let Ok(day) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let start = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default());
        return Ok((start, start + Duration::days(1)));
    }
    let t = chrono::DateTime::parse_from_rfc3339(v)
        .map_err(|_| QueryError::new(at, "a date (2024-05-01) or an RFC 3339 date-time"))?
        .with_timezone(&Utc);
    let t = t - Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos() % 1_000));
    Ok((t, t + Duration::microseconds(1)))
}

/// A term on a defined custom field, typed by its definition.
fn custom(t: &Term, key: &str, fields: &Fields) -> Lowered {
    let definition = fields.get(key).ok_or_else(|| {
        QueryError::new(
            t.at,
            format!("no custom field is defined with the key `{key}`"),
        )
    })?;
    let kind = definition.field_type;
    let json = |v: &str, at: usize| -> Result<Json<Value>, QueryError> {
        Ok(Json(match kind {
            FieldType::Number | FieldType::Decimal => v
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| QueryError::new(at, "a number"))?,
            FieldType::Boolean => match v.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(QueryError::new(at, "true or false")),
            },
            _ => Value::String(v.to_owned()),
        }))
    };
    let mut c = CustomFieldFilter {
        key: key.to_owned(),
        equals: None,
        one_of: None,
        gt: None,
        gte: None,
        lt: None,
        lte: None,
        exists: None,
    };
    let at = t.value_at;
    let op_len = |s: &str| t.value.chars().count() - s.chars().count();
    match Cmp::read(t) {
        Cmp::Equals(v) => c.equals = Some(json(&v, at)?),
        Cmp::Greater(v) => c.gt = Some(json(&v, at + op_len(&v))?),
        Cmp::GreaterOrEqual(v) => c.gte = Some(json(&v, at + op_len(&v))?),
        Cmp::Less(v) => c.lt = Some(json(&v, at + op_len(&v))?),
        Cmp::LessOrEqual(v) => c.lte = Some(json(&v, at + op_len(&v))?),
        Cmp::Between(low, high) => {
            let low_len = low.as_deref().map_or(0, |l| l.chars().count());
            c.gte = low.as_deref().map(|l| json(l, at)).transpose()?;
            c.lte = high
                .as_deref()
                .map(|h| json(h, at + low_len + 2))
                .transpose()?;
        }
        Cmp::Exists => c.exists = Some(true),
        Cmp::StartsWith(_) => {
            return Err(QueryError::new(at, "custom fields do not match by prefix"));
        }
    }
    // The definition checks the values: an option that exists, a date.
    c.condition("query", fields, sea_orm::DbBackend::Sqlite)
        .map_err(|e| QueryError::new(at, e.message()))?;
    Ok(CustomerFilter {
        fields: Some(vec![c]),
        ..Default::default()
    })
}

/// `metadata.<path>:value`: a number or `true`/`false` as written
/// compares as one, anything else (or a quoted value) as text.
fn metadata(t: &Term, path: &str) -> Lowered {
    if JsonPath::keys(path).is_none() {
        return Err(QueryError::new(
            t.at,
            "a metadata path is up to 5 dot-separated keys of letters, digits, _ and -, not all digits",
        ));
    }
    let value = |v: &str| -> Json<Value> {
        if t.quoted {
            return Json(Value::from(v));
        }
        Json(match v {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => v
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::from(v), Value::Number),
        })
    };
    let mut condition = MetadataPathCondition::at(path.to_owned());
    match Cmp::read(t) {
        Cmp::Equals(v) => condition.equals = Some(value(&v)),
        Cmp::Greater(v) => condition.gt = Some(value(&v)),
        Cmp::GreaterOrEqual(v) => condition.gte = Some(value(&v)),
        Cmp::Less(v) => condition.lt = Some(value(&v)),
        Cmp::LessOrEqual(v) => condition.lte = Some(value(&v)),
        Cmp::Between(None, None) => {
            return Err(QueryError::new(
                t.value_at,
                "give at least one end of the range",
            ));
        }
        Cmp::Between(low, high) => {
            condition.gte = low.as_deref().map(value);
            condition.lte = high.as_deref().map(value);
        }
        Cmp::StartsWith(prefix) => condition.starts_with = Some(prefix),
        Cmp::Exists => condition.exists = Some(true),
    }
    Ok(CustomerFilter {
        metadata_paths: Some(vec![condition]),
        ..Default::default()
    })
}
