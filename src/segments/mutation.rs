//! The segment mutations: create, update, delete, and a static segment's
//! members added or removed.

use async_graphql::{Context, ID, MaybeUndefined, Object, Result};
use entity::segment::{self, SegmentKind};
use sea_orm::{ConnectionTrait, DbErr, SqlErr};
use serde_json::Value;

use super::input::{
    Defined, MAX_SEGMENTS, SegmentInput, SegmentType, SegmentUpdateInput, checked_definition,
    description, name,
};
use super::object::Segment;
use super::{Env, Match, repo};
use crate::auth::Scope;
use crate::db::begin_write;
use crate::error::{AppError, AppResult, bad_input, conflict, not_found};
use crate::graphql::ScopeGuard;
use crate::graphql::{ContextExt, DeletePayload};
use crate::ids::{self, MAX_IDS};
use crate::ids::{CustomerId, SegmentId};
use crate::profiles::fields::Fields;
use crate::tenancy::{self, TenantId};

/// The row keys of customer IDs, all of which must be customers of the
/// tenant (another tenant's is `NOT_FOUND`, like an unknown one).
pub(super) async fn customer_keys(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    ids: &[ID],
    field: &str,
) -> AppResult<Vec<CustomerId>> {
    if ids.len() > MAX_IDS {
        return Err(bad_input(field, format!("at most {MAX_IDS} IDs")));
    }
    let mut keys = ids
        .iter()
        .map(|id| CustomerId::require(id))
        .collect::<AppResult<Vec<_>>>()?;
    keys.sort();
    keys.dedup();
    let plain: Vec<String> = keys.iter().map(|k| k.as_str().to_owned()).collect();
    let found = tenancy::find_many::<entity::customer::Entity>(db, tenant, &plain).await?;
    if found.len() != keys.len() {
        return Err(not_found("customer"));
    }
    Ok(keys)
}

/// What a new definition is checked in: the tenant's custom field
/// definitions, with no breakpoints (a rule or filter on the RFM segment
/// compiles the same with any).
async fn checking_env(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<Env> {
    let fields = Fields::of(db, tenant).await?;
    Ok(Env::new(db.get_database_backend(), tenant, None, fields))
}

/// A duplicate name is `CONFLICT` on `field`.
pub(super) fn on_name_conflict(err: DbErr, field: &str) -> AppError {
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
        let defined = if dynamic {
            let env = checking_env(&session.db, tenant).await?;
            checked_definition(input.rules, input.filter, input.query, &env)?
        } else {
            let given = [
                (
                    "input.rules",
                    input.rules.as_ref().is_some_and(|r| !r.is_empty()),
                ),
                ("input.filter", input.filter.is_some()),
                ("input.query", input.query.is_some()),
            ];
            if let Some((field, _)) = given.into_iter().find(|(_, given)| *given) {
                return Err(bad_input(
                    field,
                    "a static segment has members, not rules, a filter or a query",
                )
                .into());
            }
            Defined {
                rules: Value::Array(Vec::new()),
                filter: None,
                query: None,
            }
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
                rules: defined.rules,
                filter: defined.filter,
                query: defined.query,
                created_at: now,
                updated_at: now,
            },
        )
        .await
        .map_err(|e| on_name_conflict(e, "input.name"))?;
        let segment = SegmentId::of_row(row.id.clone());
        repo::add_members(&txn, tenant, &segment, &members, now).await?;
        super::changes::baseline(&txn, tenant, &row).await?;
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
        let key = SegmentId::require(&id)?;
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
        let mut redefined = false;
        let given = [
            ("input.rules", input.rules.is_some()),
            ("input.filter", input.filter.is_some()),
            ("input.query", input.query.is_some()),
        ];
        if let Some((field, _)) = given.into_iter().find(|(_, given)| *given) {
            if row.kind != SegmentKind::Dynamic {
                return Err(bad_input(
                    field,
                    "a static segment has members, not rules, a filter or a query",
                )
                .into());
            }
            let env = checking_env(&txn, session.tenant()).await?;
            let defined = checked_definition(input.rules, input.filter, input.query, &env)?;
            redefined = (&row.rules, &row.filter, &row.query)
                != (&defined.rules, &defined.filter, &defined.query);
            row.rules = defined.rules;
            row.filter = defined.filter;
            row.query = defined.query;
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
        if redefined || before.match_mode != row.match_mode {
            super::changes::baseline(&txn, session.tenant(), &row).await?;
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
        let key = SegmentId::require(&id)?;
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

pub(super) async fn change_members(
    ctx: &Context<'_>,
    id: &ID,
    ids: &[ID],
    add: bool,
) -> Result<Segment> {
    let session = ctx.session()?;
    let tenant = session.tenant();
    let key = SegmentId::require(id)?;
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
        let keys: Vec<CustomerId> = ids.iter().filter_map(|id| CustomerId::decode(id)).collect();
        repo::remove_members(&txn, tenant, &key, &keys).await?;
    }
    row.updated_at = now;
    let row = repo::save(&txn, row).await?;
    txn.commit().await?;
    Ok(Segment(row))
}
