//! The `Segment` object, its rules and `explain`'s answer.

use async_graphql::{Context, ID, Json, Object, Result};
use entity::segment::{self, SegmentKind};
use serde_json::Value;

use super::input::{MatchInput, SegmentType};
use super::loader::{CustomerSegmentsLoader, MemberCountLoader};
use super::members::{env, filter_scope, membership};
use super::rule::{self, RawRule};
use super::{Definition, Env, Match, StoredFilter, explain, explain_filter, repo};
use crate::auth::Scope;
use crate::error::not_found;
use crate::graphql::ContextExt;
use crate::graphql::ScopeGuard;
use crate::graphql::pagination::Page;
use crate::graphql::scalars::DateTime;
use crate::ids::CustomerId;
use crate::ids::{self, Kind};
use crate::profiles::{
    CustomerConnection, CustomerFilter, CustomerSort, customer_connection, repo as customers,
};
use crate::tenancy::TenantId;

/// A stored rule, as given.
pub struct SegmentRule(RawRule);

/// A segment's rule, as it was given: `field operator value`.
#[Object]
impl SegmentRule {
    /// The customer field compared, such as `total_spent` or
    /// `metadata.plan`.
    async fn field(&self) -> &str {
        &self.0.field
    }

    /// How it is compared, such as `gte` or `before`.
    async fn operator(&self) -> &str {
        &self.0.operator
    }

    /// What it is compared with, as given: a list for `in` and `not_in`,
    /// null for `is_set` and `is_not_set`.
    async fn value(&self) -> Json<&Value> {
        Json(&self.0.value)
    }
}

/// Why a customer does or does not meet one rule.
pub struct RuleMatch {
    rule: RawRule,
    index: usize,
    matched: bool,
    actual: Value,
}

/// Each condition of a filter and query tree, as `explain` answers it;
/// `NOT_FOUND` when the tenant has no such customer.
pub(super) async fn explained(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    customer: &CustomerId,
    stored: &StoredFilter,
    env: &Env,
) -> Result<Vec<RuleMatch>> {
    let parts = explain_filter::explain(db, tenant, customer, stored, env)
        .await?
        .ok_or(not_found("customer"))?;
    Ok(parts
        .into_iter()
        .enumerate()
        .map(|(index, part)| RuleMatch {
            rule: RawRule {
                field: part.path,
                operator: "filter".into(),
                value: part.value,
            },
            index,
            matched: part.matched,
            actual: Value::Null,
        })
        .collect())
}

/// Whether a customer meets one rule of a segment, and the customer's
/// value.
#[Object]
impl RuleMatch {
    /// The rule, as given.
    async fn rule(&self) -> SegmentRule {
        SegmentRule(self.rule.clone())
    }

    /// The rule's position in the segment, from 0.
    async fn index(&self) -> usize {
        self.index
    }

    /// Whether the customer meets the rule now.
    async fn matched(&self) -> bool {
        self.matched
    }

    /// The customer's value of the rule's field, in the rule's terms
    /// (amounts as decimal strings, dates in RFC 3339); null when unset.
    async fn actual(&self) -> Json<&Value> {
        Json(&self.actual)
    }
}

/// A named group of customers: by rules (dynamic) or by list (static).
pub struct Segment(pub segment::Model);

pub(super) fn stored_rules(row: &segment::Model) -> Vec<RawRule> {
    serde_json::from_value(row.rules.clone()).unwrap_or_default()
}

/// A named group of customers: by rules (dynamic) or by list (static).
#[Object]
impl Segment {
    /// `seg_` followed by a time-ordered key.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Segment, &self.0.id)
    }

    /// 1 to 255 characters, unique in the tenant.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the segment is for; null when none was given.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Dynamic (by rules) or static (by list).
    #[graphql(name = "type")]
    async fn kind(&self) -> SegmentType {
        if self.0.kind == SegmentKind::Static {
            SegmentType::Static
        } else {
            SegmentType::Dynamic
        }
    }

    /// How a dynamic segment's rules combine.
    async fn r#match(&self) -> MatchInput {
        match self.0.match_mode {
            Match::All => MatchInput::All,
            Match::Any => MatchInput::Any,
        }
    }

    /// The rules, as given (empty for a static segment, or one defined by a
    /// filter or query).
    async fn rules(&self) -> Vec<SegmentRule> {
        stored_rules(&self.0).into_iter().map(SegmentRule).collect()
    }

    /// The filter tree that defines a dynamic segment, as given (without
    /// its empty fields); null for one defined by rules or a query alone.
    async fn filter(&self) -> Option<Json<&Value>> {
        self.0.filter.as_ref().map(Json)
    }

    /// The text query that defines a dynamic segment, as given.
    async fn query(&self) -> Option<&str> {
        self.0.query.as_deref()
    }

    /// How many customers are members now.
    async fn member_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let session = ctx.session()?;
        let n = session
            .loaders
            .get::<MemberCountLoader>()
            .load_one(self.0.id.clone())
            .await?;
        Ok(n.unwrap_or(0))
    }

    /// The members, with the filters and sorts of `customers`. Needs
    /// `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    #[expect(
        clippy::too_many_arguments,
        reason = "the Relay and filter arguments of the field"
    )]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which members to list; every member when absent.")] filter: Option<
            CustomerFilter,
        >,
        #[graphql(desc = "The order; newest first (`CREATED_AT`, `DESC`) when absent.")]
        sort: Option<CustomerSort>,
    ) -> Result<CustomerConnection> {
        let session = ctx.session()?;
        let mut scope = filter_scope(ctx, filter.as_ref()).await?;
        let members = membership(session, &self.0).await?;
        scope.members = Some(match scope.members {
            Some(named) => members.add(named),
            None => members,
        });
        let page = Page::from_params(first, after, last, before)?;
        customer_connection(ctx, page, filter, sort, scope).await
    }

    /// Rule by rule, whether the customer meets it and the customer's
    /// value (empty for a static segment). A segment defined by a filter or
    /// query is explained condition by condition through its tree: each
    /// `rule.field` is the condition's path (`filter.or[1].country`),
    /// `rule.operator` is `filter`, `rule.value` what it holds, and
    /// `actual` null. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn explain(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] customer_id: ID,
    ) -> Result<Vec<RuleMatch>> {
        let session = ctx.session()?;
        let key = CustomerId::require(&customer_id)?;
        let def = Definition::of(&self.0)?;
        let env = env(session, std::slice::from_ref(&def)).await?;
        let (db, tenant) = (&session.db, session.tenant());
        if let Some(stored) = &def.filter {
            return explained(db, tenant, &key, stored, &env).await;
        }
        let (row, matched) = repo::rule_matches(db, tenant, &key, &def.rules, &env)
            .await?
            .ok_or(not_found("customer"))?;
        let tags = if def.rules.iter().any(|r| r.field == rule::Field::Tags) {
            customers::tags(db, tenant, &[key.as_str().to_owned()])
                .await?
                .remove(key.as_str())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(stored_rules(&self.0)
            .into_iter()
            .zip(def.rules.iter().zip(matched))
            .enumerate()
            .map(|(index, (raw, (rule, matched)))| RuleMatch {
                actual: explain::actual(&rule.field, &row, &tags, &env),
                rule: raw,
                index,
                matched,
            })
            .collect())
    }

    /// When the segment was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the segment's definition or (static) members last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// `Customer.segments`: the segments the customer belongs to, by name.
pub async fn customer_segments(ctx: &Context<'_>, customer_key: &str) -> Result<Vec<Segment>> {
    let session = ctx.session()?;
    let rows = session
        .loaders
        .get::<CustomerSegmentsLoader>()
        .load_one(customer_key.to_owned())
        .await?;
    Ok(rows.unwrap_or_default().into_iter().map(Segment).collect())
}
