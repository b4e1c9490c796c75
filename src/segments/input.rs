//! What the segment mutations take: the inputs, checked.

use async_graphql::{Enum, ID, InputObject, InputType as _, Json, MaybeUndefined};
use serde_json::Value;

use super::rule::{self, MAX_RULES, RawRule, Rule};
use super::typed;
use super::{Env, Match};
use crate::error::{AppError, AppResult, bad_input};
use crate::graphql::input;
use crate::profiles::CustomerFilter;
use crate::profiles::fields::Fields;
use crate::profiles::query;

pub(super) const MAX_NAME: usize = 255;
/// Segments one tenant may have: each is evaluated by `segmentDistribution`
/// and by `Customer.segments`.
pub const MAX_SEGMENTS: u64 = 200;
pub(super) const MAX_DESCRIPTION: usize = 2_000;

/// Whether membership follows rules or a list.
#[derive(Enum, Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum SegmentType {
    /// Customers who match the rules, evaluated whenever read.
    #[default]
    Dynamic,
    /// Customers added to it explicitly.
    Static,
}

/// How a dynamic segment's rules combine.
#[derive(Enum, Copy, Clone, Debug, Default, PartialEq, Eq)]
#[graphql(name = "SegmentMatch")]
pub enum MatchInput {
    /// Every rule holds.
    #[default]
    All,
    /// At least one rule holds.
    Any,
}

impl From<MatchInput> for Match {
    fn from(m: MatchInput) -> Self {
        match m {
            MatchInput::All => Match::All,
            MatchInput::Any => Match::Any,
        }
    }
}

/// A rule: `field operator value`, e.g. `total_spent gte 500` or
/// `last_order_at before "90_days_ago"`. `docs/api.md` §8 lists the fields,
/// the operators each takes and the values they compare with.
#[derive(InputObject, Clone, Debug)]
#[graphql(name = "SegmentRuleInput")]
pub struct RuleInput {
    /// `total_spent`, `total_orders`, `last_order_at`, `first_order_at`,
    /// `created_at`, `churn_risk`, `rfm_segment`, `tags`, `email`, `name`,
    /// `status`, `source`, `country`, `city` or `metadata.<key>`.
    pub field: String,
    /// `eq`, `neq`, `gt`, `gte`, `lt`, `lte`, `in`, `not_in`, `contains`,
    /// `starts_with`, `before`, `after`, `is_set` or `is_not_set`.
    pub operator: String,
    /// What the field is compared with: a number, a text, a date (RFC 3339
    /// or relative such as `"90_days_ago"`), a list for `in` and `not_in`,
    /// nothing for `is_set` and `is_not_set`.
    pub value: Option<Json<Value>>,
}

impl From<RuleInput> for RawRule {
    fn from(r: RuleInput) -> Self {
        RawRule {
            field: r.field,
            operator: r.operator,
            value: r.value.map_or(Value::Null, |v| v.0),
        }
    }
}

/// A new segment for `createSegment`.
#[derive(InputObject)]
pub struct SegmentInput {
    /// 1 to 255 characters, unique in the tenant.
    pub name: String,
    /// Up to 2,000 characters.
    pub description: Option<String>,
    /// Dynamic (by rules, the default) or static (by list).
    #[graphql(name = "type", default)]
    pub kind: SegmentType,
    /// How a dynamic segment's rules combine; `ALL` by default.
    #[graphql(default)]
    pub r#match: MatchInput,
    /// Dynamic segments: 1 to 50 rules; or `filter` or `query` instead.
    pub rules: Option<Vec<RuleInput>>,
    /// Dynamic segments: the members are the customers this filter tree
    /// holds (no `segmentId`), with `query` if given too.
    pub filter: Option<CustomerFilter>,
    /// Dynamic segments: the members are the customers this text query
    /// holds (docs/query-language.md; no `segment:`).
    pub query: Option<String>,
    /// Static segments: the first members (at most 250).
    pub customer_ids: Option<Vec<ID>>,
}

/// A change to a segment: an absent field is unchanged.
#[derive(InputObject)]
pub struct SegmentUpdateInput {
    /// A new name: 1 to 255 characters, unique in the tenant.
    pub name: Option<String>,
    /// Up to 2,000 characters; `null` clears it.
    pub description: MaybeUndefined<String>,
    /// How the rules combine.
    pub r#match: Option<MatchInput>,
    /// Replaces the definition of a dynamic segment by these rules.
    pub rules: Option<Vec<RuleInput>>,
    /// Replaces the definition of a dynamic segment by this filter (with
    /// `query`, if given too).
    pub filter: Option<CustomerFilter>,
    /// Replaces the definition of a dynamic segment by this query (with
    /// `filter`, if given too).
    pub query: Option<String>,
}

/// What defines a dynamic segment, checked and as stored.
pub(super) struct Defined {
    pub rules: Value,
    pub filter: Option<Value>,
    pub query: Option<String>,
}

/// Checks a dynamic segment's definition: rules, or a filter and a query
/// (either or both); errors name `input.rules`, `input.filter…` or
/// `input.query`.
pub(super) fn checked_definition(
    rules: Option<Vec<RuleInput>>,
    filter: Option<CustomerFilter>,
    query: Option<String>,
    env: &Env,
) -> AppResult<Defined> {
    if let Some(rules) = rules {
        if filter.is_some() || query.is_some() {
            return Err(bad_input(
                "input.rules",
                "give rules, or a filter and a query, not both",
            ));
        }
        return Ok(Defined {
            rules: checked_rules(rules, &env.fields)?.1,
            filter: None,
            query: None,
        });
    }
    if let Some(given) = &filter {
        given.check_given("input.filter")?;
    }
    if filter.is_none() && query.is_none() {
        return Err(bad_input(
            "input.rules",
            "a dynamic segment needs rules, a filter or a query",
        ));
    }
    let compile = |f: &CustomerFilter, path: &str| {
        if f.segment_id.is_some() {
            return Err(bad_input(
                format!("{path}.segmentId"),
                "a segment is not defined by another segment's members",
            ));
        }
        f.compile_named(path, &env.filter_env())
    };
    if let Some(filter) = &filter {
        compile(filter, "input.filter")?;
    }
    if let Some(text) = &query {
        let queried = query::read(text, &env.fields, "input.query")?;
        if queried.segment_id.is_some() {
            return Err(bad_input(
                "input.query",
                "a segment is not defined by another segment's members",
            ));
        }
        compile(&queried, "input.query")?;
    }
    let stored = filter
        .map(|f| {
            f.to_value()
                .into_json()
                .map(input::without_nulls)
                .map_err(|e| AppError::Internal(e.into()))
        })
        .transpose()?;
    Ok(Defined {
        rules: Value::Array(Vec::new()),
        filter: stored,
        query,
    })
}

pub(super) fn name(value: String, field: &str) -> AppResult<String> {
    input::text(field, value, MAX_NAME)?.ok_or_else(|| bad_input(field, "must not be empty"))
}

pub(super) fn description(value: String) -> AppResult<Option<String>> {
    input::multiline("input.description", value, MAX_DESCRIPTION)
}

/// Type-checks dynamic rules; the stored JSON is the rules as given, with
/// the values of rules on defined custom fields in their normal form.
pub(super) fn checked_rules(
    rules: Vec<RuleInput>,
    fields: &Fields,
) -> AppResult<(Vec<Rule>, Value)> {
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(bad_input(
            "input.rules",
            format!("a dynamic segment needs 1 to {MAX_RULES} rules"),
        ));
    }
    let mut raw: Vec<RawRule> = rules.into_iter().map(RawRule::from).collect();
    typed::normalize(&mut raw, "input.rules", fields)?;
    let parsed = rule::parse_all(&raw, "input.rules")?;
    let stored = serde_json::to_value(&raw).map_err(|e| AppError::Internal(e.into()))?;
    Ok((parsed, stored))
}
