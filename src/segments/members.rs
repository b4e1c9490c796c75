//! Who is in a segment: its membership condition, and the members of the
//! segment a customer filter names in `segmentId`.

use std::sync::Arc;

use async_graphql::{Context, ID, Result};
use entity::segment::{self};
use sea_orm::{Condition, ConnectionTrait};

use super::loader::{self, SegmentLoader};
use super::{Definition, Env};
use crate::analytics::{BreakpointLoader, breakpoints};
use crate::error::{AppError, AppResult, not_found};
use crate::graphql::{ContextExt, Session};
use crate::ids::SegmentId;
use crate::profiles::fields::Fields;
use crate::profiles::{CustomerFilter, FilterEnv, Scope};
use crate::tenancy::{self, TenantId};

/// The evaluation context of these segments, with the tenant's RFM
/// breakpoints (read once per request) when a rule needs them.
pub(super) async fn env(session: &Session, defs: &[Definition]) -> AppResult<Env> {
    env_with(
        session,
        defs.iter().any(Definition::needs_breakpoints),
        defs.iter().any(Definition::needs_fields),
    )
    .await
}

/// The evaluation context, with the tenant's RFM breakpoints when
/// `breakpoints` asks for them and its custom field definitions when
/// `fields` does.
pub(super) async fn env_with(session: &Session, breakpoints: bool, fields: bool) -> AppResult<Env> {
    let breakpoints = if breakpoints {
        let loaded = session.loaders.get::<BreakpointLoader>().load_one(()).await;
        Some(
            loaded
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{}", e.message)))?
                .unwrap_or_default(),
        )
    } else {
        None
    };
    let fields = Fields::when(fields, &session.db, session.tenant()).await?;
    Ok(Env::new(
        session.db.get_database_backend(),
        session.tenant(),
        breakpoints,
        fields,
    ))
}

/// The condition a member of the segment meets.
pub(super) async fn membership(session: &Session, row: &segment::Model) -> AppResult<Condition> {
    let def = Definition::of(row)?;
    let env = env(session, std::slice::from_ref(&def)).await?;
    def.condition(&env)
}

/// The `segmentId` filter of `customers` and `customerCount`: the members
/// of the segment; an unknown segment is `NOT_FOUND`.
pub(super) async fn segment_filter(ctx: &Context<'_>, id: &ID) -> Result<Condition> {
    let session = ctx.session()?;
    let key = SegmentId::require(id)?;
    let row = session
        .loaders
        .get::<SegmentLoader>()
        .load_one(key.into_string())
        .await?
        .ok_or(not_found("segment"))?;
    Ok(membership(session, &row).await?)
}

/// What a customer filter is compiled within: the members of the segment
/// it names in `segmentId` (none when it names none), and the metrics in
/// SQL, with the tenant's RFM breakpoints when the filter needs them.
pub async fn filter_scope(ctx: &Context<'_>, filter: Option<&CustomerFilter>) -> Result<Scope> {
    let session = ctx.session()?;
    let members = match filter.and_then(|f| f.segment_id.as_ref()) {
        Some(id) => Some(segment_filter(ctx, id).await?),
        None => None,
    };
    let breakpoints = filter.is_some_and(CustomerFilter::needs_breakpoints);
    Ok(Scope {
        members,
        metrics: Some(Arc::new(env_with(session, breakpoints, false).await?)),
    })
}

/// The members of the tenant's segment `key` outside a request (a bulk
/// operation's job); `NOT_FOUND` when there is none.
pub async fn segment_condition(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<Condition> {
    let row = tenancy::find::<segment::Entity>(db, tenant, key)
        .await?
        .ok_or(not_found("segment"))?;
    let def = Definition::of(&row)?;
    let env = loader::env(db, tenant, std::slice::from_ref(&def)).await?;
    def.condition(&env)
}

/// A customer filter's condition outside a request (a bulk operation's
/// job): its own, with the members of the segment it names, its metrics
/// computed with the tenant's current breakpoints; errors name `path`.
pub async fn filter_condition(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    filter: &CustomerFilter,
    path: &str,
) -> AppResult<Condition> {
    let breakpoints = if filter.needs_breakpoints() {
        Some(breakpoints::current(db, tenant).await?)
    } else {
        None
    };
    let fields = Fields::when(filter.needs_fields(), db, tenant).await?;
    let env = Env::new(db.get_database_backend(), tenant, breakpoints, fields);
    let own = filter.compile_named(
        path,
        &FilterEnv {
            backend: env.backend,
            tenant,
            fields: &env.fields,
            metrics: Some(&env),
            limits: crate::profiles::TreeLimits::GIVEN,
            prefix_range: false,
        },
    )?;
    let mut condition = Condition::all().add(own);
    if let Some(id) = &filter.segment_id {
        let key = SegmentId::require(id)?;
        condition = condition.add(segment_condition(db, tenant, key.as_str()).await?);
    }
    Ok(condition)
}
