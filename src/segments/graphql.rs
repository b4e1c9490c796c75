//! The segment part of the schema: `Segment`, `segment`, `segments`,
//! `Customer.segments`, the `segmentId` filter, and the mutations.

use async_graphql::{Context, Enum, ID, InputObject, Json, MaybeUndefined, Object, Result};
use entity::segment::{self, SegmentKind};
use futures_util::FutureExt as _;
use sea_orm::{Condition, ConnectionTrait, DbErr, SqlErr};
use serde_json::Value;

use super::loader::{CustomerSegmentsLoader, MemberCountLoader, SegmentLoader};
use super::rule::{self, MAX_RULES, RawRule, Rule};
use super::{Definition, Env, Match, explain, repo};
use crate::analytics::BreakpointLoader;
use crate::auth::Scope;
use crate::db::begin_write;
use crate::error::{AppError, AppResult, bad_input, conflict, not_found};
use crate::graphql::ScopeGuard;
use crate::graphql::pagination::ListConnection;
use crate::graphql::pagination::{Page, TotalCount};
use crate::graphql::scalars::DateTime;
use crate::graphql::{ContextExt, DeletePayload, Session, input};
use crate::ids::{self, Kind, MAX_IDS};
use crate::profiles::{
    CustomerConnection, CustomerFilter, CustomerSort, customer_connection, repo as customers,
};
use crate::tenancy::TenantId;

const MAX_NAME: usize = 255;
/// Segments one tenant may have: each is evaluated by `segmentDistribution`
/// and by `Customer.segments`.
pub const MAX_SEGMENTS: u64 = 200;
const MAX_DESCRIPTION: usize = 2_000;

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
    /// Dynamic segments: 1 to 50 rules.
    pub rules: Option<Vec<RuleInput>>,
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
    /// Replaces the rules of a dynamic segment.
    pub rules: Option<Vec<RuleInput>>,
}

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

fn stored_rules(row: &segment::Model) -> Vec<RawRule> {
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

    /// The rules, as given (empty for a static segment).
    async fn rules(&self) -> Vec<SegmentRule> {
        stored_rules(&self.0).into_iter().map(SegmentRule).collect()
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
        let mut scope = membership(session, &self.0).await?;
        if let Some(segment) = segment_scope(ctx, filter.as_ref()).await? {
            scope = scope.add(segment);
        }
        let page = Page::from_params(first, after, last, before)?;
        customer_connection(ctx, page, filter, sort, Some(scope)).await
    }

    /// Rule by rule, whether the customer meets it and the customer's
    /// value (empty for a static segment). Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn explain(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] customer_id: ID,
    ) -> Result<Vec<RuleMatch>> {
        let session = ctx.session()?;
        let key = ids::decode(Kind::Customer, &customer_id).ok_or(not_found("customer"))?;
        let def = Definition::of(&self.0)?;
        let env = env(session, std::slice::from_ref(&def)).await?;
        let (db, tenant) = (&session.db, session.tenant());
        let (row, matched) = repo::rule_matches(db, tenant, &key, &def.rules, &env)
            .await?
            .ok_or(not_found("customer"))?;
        let tags = if def.rules.iter().any(|r| r.field == rule::Field::Tags) {
            customers::tags(db, tenant, std::slice::from_ref(&key))
                .await?
                .remove(&key)
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

pub type SegmentConnection = ListConnection<Segment>;

/// The evaluation context of these segments, with the tenant's RFM
/// breakpoints (read once per request) when a rule needs them.
async fn env(session: &Session, defs: &[Definition]) -> AppResult<Env> {
    let breakpoints = if defs.iter().any(Definition::needs_breakpoints) {
        let loaded = session.loaders.get::<BreakpointLoader>().load_one(()).await;
        Some(
            loaded
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{}", e.message)))?
                .unwrap_or_default(),
        )
    } else {
        None
    };
    Ok(Env::new(
        session.db.get_database_backend(),
        session.tenant(),
        breakpoints,
    ))
}

/// The condition a member of the segment meets.
async fn membership(session: &Session, row: &segment::Model) -> AppResult<Condition> {
    let def = Definition::of(row)?;
    let env = env(session, std::slice::from_ref(&def)).await?;
    Ok(def.condition(&env))
}

/// The `segmentId` filter of `customers` and `customerCount`: the members
/// of the segment; an unknown segment is `NOT_FOUND`.
async fn segment_filter(ctx: &Context<'_>, id: &ID) -> Result<Condition> {
    let session = ctx.session()?;
    let key = ids::decode(Kind::Segment, id).ok_or(not_found("segment"))?;
    let row = session
        .loaders
        .get::<SegmentLoader>()
        .load_one(key)
        .await?
        .ok_or(not_found("segment"))?;
    Ok(membership(session, &row).await?)
}

/// The members of the segment a filter names in `segmentId`; none when it
/// names none.
pub async fn segment_scope(
    ctx: &Context<'_>,
    filter: Option<&CustomerFilter>,
) -> Result<Option<Condition>> {
    match filter.and_then(|f| f.segment_id.as_ref()) {
        Some(id) => Ok(Some(segment_filter(ctx, id).await?)),
        None => Ok(None),
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

#[derive(Default)]
pub struct SegmentQuery;

#[Object]
impl SegmentQuery {
    /// A segment by ID; null when there is none in your tenant. Needs
    /// `read:segments`.
    #[graphql(guard = "ScopeGuard(Scope::ReadSegments)")]
    async fn segment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The segment's ID (`seg_…`).")] id: ID,
    ) -> Result<Option<Segment>> {
        let Some(key) = ids::decode(Kind::Segment, &id) else {
            return Ok(None);
        };
        let session = ctx.session()?;
        Ok(session
            .loaders
            .get::<SegmentLoader>()
            .load_one(key)
            .await?
            .map(Segment))
    }

    /// The tenant's segments, newest first. Needs `read:segments`.
    #[graphql(guard = "ScopeGuard(Scope::ReadSegments)")]
    async fn segments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<SegmentConnection> {
        let session = ctx.session()?;
        let page = Page::from_params(first, after, last, before)?;
        let keyset = repo::keyset(&page);
        let rows = repo::list(&session.db, session.tenant(), &keyset).await?;
        let (db, tenant) = (session.db.clone(), session.tenant().clone());
        let total = TotalCount::new(move || {
            let (db, tenant) = (db.clone(), tenant.clone());
            async move { Ok(repo::count(&db, &tenant).await?) }.boxed()
        });
        Ok(keyset.connection(rows, Segment, total))
    }
}

fn name(value: String, field: &str) -> AppResult<String> {
    input::text(field, value, MAX_NAME)?.ok_or_else(|| bad_input(field, "must not be empty"))
}

fn description(value: String) -> AppResult<Option<String>> {
    input::multiline("input.description", value, MAX_DESCRIPTION)
}

/// Type-checks dynamic rules; the stored JSON is the rules as given.
fn checked_rules(rules: Vec<RuleInput>) -> AppResult<(Vec<Rule>, Value)> {
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(bad_input(
            "input.rules",
            format!("a dynamic segment needs 1 to {MAX_RULES} rules"),
        ));
    }
    let raw: Vec<RawRule> = rules.into_iter().map(RawRule::from).collect();
    let parsed = rule::parse_all(&raw, "input.rules")?;
    let stored = serde_json::to_value(&raw).map_err(|e| AppError::Internal(e.into()))?;
    Ok((parsed, stored))
}

/// The row keys of customer IDs, all of which must be customers of the
/// tenant (another tenant's is `NOT_FOUND`, like an unknown one).
async fn customer_keys(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    ids: &[ID],
    field: &str,
) -> AppResult<Vec<String>> {
    if ids.len() > MAX_IDS {
        return Err(bad_input(field, format!("at most {MAX_IDS} IDs")));
    }
    let mut keys = ids
        .iter()
        .map(|id| ids::decode(Kind::Customer, id).ok_or(not_found("customer")))
        .collect::<AppResult<Vec<_>>>()?;
    keys.sort();
    keys.dedup();
    let found = customers::find_many(db, tenant, &keys).await?;
    if found.len() != keys.len() {
        return Err(not_found("customer"));
    }
    Ok(keys)
}

/// A duplicate name is `CONFLICT` on `field`.
fn on_name_conflict(err: DbErr, field: &str) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            conflict(field, "a segment with this name already exists")
        }
        _ => err.into(),
    }
}

#[derive(Default)]
pub struct SegmentMutation;

#[Object]
impl SegmentMutation {
    /// Creates a segment: dynamic with `rules`, or static with
    /// `customerIds` (optional). A tenant holds at most 200 segments.
    /// Needs `write:segments`.
    #[graphql(guard = "ScopeGuard(Scope::WriteSegments)")]
    async fn create_segment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new segment.")] input: SegmentInput,
    ) -> Result<Segment> {
        let session = ctx.session()?;
        let tenant = session.tenant();
        let name = name(input.name, "input.name")?;
        let description = input.description.map(description).transpose()?.flatten();
        let dynamic = input.kind == SegmentType::Dynamic;
        let rules = match (dynamic, input.rules) {
            (true, Some(rules)) => checked_rules(rules)?.1,
            (true, None) => {
                return Err(bad_input("input.rules", "a dynamic segment needs rules").into());
            }
            (false, Some(rules)) if !rules.is_empty() => {
                return Err(
                    bad_input("input.rules", "a static segment has members, not rules").into(),
                );
            }
            (false, _) => Value::Array(Vec::new()),
        };
        let ids = input.customer_ids.unwrap_or_default();
        if dynamic && !ids.is_empty() {
            return Err(bad_input(
                "input.customerIds",
                "a dynamic segment's members follow its rules",
            )
            .into());
        }
        let txn = begin_write(&session.db).await?;
        if repo::count(&txn, tenant).await? >= MAX_SEGMENTS {
            return Err(bad_input(
                "input",
                format!("a tenant has at most {MAX_SEGMENTS} segments"),
            )
            .into());
        }
        let members = customer_keys(&txn, tenant, &ids, "input.customerIds").await?;
        let now = crate::db::now();
        let row = repo::insert(
            &txn,
            segment::Model {
                tenant_id: tenant.as_str().to_owned(),
                id: ids::new_key(),
                name,
                description,
                kind: if dynamic {
                    SegmentKind::Dynamic
                } else {
                    SegmentKind::Static
                },
                match_mode: Match::from(input.r#match),
                rules,
                created_at: now,
                updated_at: now,
            },
        )
        .await
        .map_err(|e| on_name_conflict(e, "input.name"))?;
        repo::add_members(&txn, tenant, &row.id, &members, now).await?;
        txn.commit().await?;
        Ok(Segment(row))
    }

    /// Changes a segment's name, description, match or (dynamic) rules.
    /// Needs `write:segments`.
    #[graphql(guard = "ScopeGuard(Scope::WriteSegments)")]
    async fn update_segment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The segment's ID (`seg_…`).")] id: ID,
        #[graphql(desc = "The fields to change.")] input: SegmentUpdateInput,
    ) -> Result<Segment> {
        let session = ctx.session()?;
        let key = ids::decode(Kind::Segment, &id).ok_or(not_found("segment"))?;
        let name = input.name.map(|n| name(n, "input.name")).transpose()?;
        let description = match input.description {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(d) => Some(description(d)?),
        };
        let txn = begin_write(&session.db).await?;
        let mut row = repo::find_for_update(&txn, session.tenant(), &key)
            .await?
            .ok_or(not_found("segment"))?;
        let before = row.clone();
        if let Some(rules) = input.rules {
            if row.kind != SegmentKind::Dynamic {
                return Err(
                    bad_input("input.rules", "a static segment has members, not rules").into(),
                );
            }
            row.rules = checked_rules(rules)?.1;
        }
        if let Some(name) = name {
            row.name = name;
        }
        if let Some(description) = description {
            row.description = description;
        }
        if let Some(m) = input.r#match {
            row.match_mode = Match::from(m);
        }
        if row != before {
            row.updated_at = crate::db::now();
            row = repo::save(&txn, row)
                .await
                .map_err(|e| on_name_conflict(e, "input.name"))?;
        }
        txn.commit().await?;
        Ok(Segment(row))
    }

    /// Deletes a segment; its customers stay. Needs `write:segments`.
    #[graphql(guard = "ScopeGuard(Scope::WriteSegments)")]
    async fn delete_segment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The segment's ID (`seg_…`).")] id: ID,
    ) -> Result<DeletePayload> {
        let session = ctx.session()?;
        let key = ids::decode(Kind::Segment, &id).ok_or(not_found("segment"))?;
        if !repo::delete(&session.db, session.tenant(), &key).await? {
            return Err(not_found("segment").into());
        }
        Ok(DeletePayload { deleted_id: id })
    }

    /// Adds customers (at most 250) to a static segment; those already in
    /// it stay once. An unknown customer is `NOT_FOUND` and adds nothing.
    /// Needs `write:segments`.
    #[graphql(guard = "ScopeGuard(Scope::WriteSegments)")]
    async fn add_segment_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The static segment's ID (`seg_…`).")] id: ID,
        #[graphql(desc = "The customers to add (`cus_…`); at most 250.")] customer_ids: Vec<ID>,
    ) -> Result<Segment> {
        change_members(ctx, &id, &customer_ids, true).await
    }

    /// Removes customers (at most 250) from a static segment; those not in
    /// it are ignored. Needs `write:segments`.
    #[graphql(guard = "ScopeGuard(Scope::WriteSegments)")]
    async fn remove_segment_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The static segment's ID (`seg_…`).")] id: ID,
        #[graphql(desc = "The customers to remove (`cus_…`); at most 250.")] customer_ids: Vec<ID>,
    ) -> Result<Segment> {
        change_members(ctx, &id, &customer_ids, false).await
    }
}

async fn change_members(ctx: &Context<'_>, id: &ID, ids: &[ID], add: bool) -> Result<Segment> {
    let session = ctx.session()?;
    let tenant = session.tenant();
    let key = ids::decode(Kind::Segment, id).ok_or(not_found("segment"))?;
    let txn = begin_write(&session.db).await?;
    let mut row = repo::find_for_update(&txn, tenant, &key)
        .await?
        .ok_or(not_found("segment"))?;
    if row.kind != SegmentKind::Static {
        return Err(bad_input("id", "a dynamic segment's members follow its rules").into());
    }
    let now = crate::db::now();
    if add {
        let keys = customer_keys(&txn, tenant, ids, "customerIds").await?;
        repo::add_members(&txn, tenant, &key, &keys, now).await?;
    } else {
        if ids.len() > MAX_IDS {
            return Err(bad_input("customerIds", format!("at most {MAX_IDS} IDs")).into());
        }
        let keys: Vec<String> = ids
            .iter()
            .filter_map(|id| ids::decode(Kind::Customer, id))
            .collect();
        repo::remove_members(&txn, tenant, &key, &keys).await?;
    }
    row.updated_at = now;
    let row = repo::save(&txn, row).await?;
    txn.commit().await?;
    Ok(Segment(row))
}
