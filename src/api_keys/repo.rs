//! API key rows: every function but [`find_by_hash`] takes the tenant and
//! starts from the tenant-scoped queries of [`crate::tenancy`].

use std::borrow::Cow;

use entity::api_key;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter};

use crate::error::AppResult;
use crate::graphql::pagination::{
    self, KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, Page, SortKey,
};
use crate::tenancy::{self, TenantId};

fn created_at(row: &api_key::Model) -> KeyValue {
    KeyValue::time(&row.created_at)
}

/// Keys, newest first.
pub static CREATED_AT: SortKey<api_key::Entity> = SortKey {
    name: Cow::Borrowed("created_at"),
    column: KeyColumn::Column(api_key::Column::CreatedAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(created_at),
};

pub fn keyset(page: &Page) -> Keyset<'_, api_key::Entity> {
    Keyset {
        sort: &CREATED_AT,
        id: api_key::Column::Id,
        ascending: false,
        page,
        id_of: |row| row.id.as_str(),
    }
}

/// The tenant's keys; revoked ones too when `revoked`.
fn listed(tenant: &TenantId, revoked: bool) -> sea_orm::Select<api_key::Entity> {
    let select = tenancy::select::<api_key::Entity>(tenant);
    if revoked {
        select
    } else {
        select.filter(api_key::Column::RevokedAt.is_null())
    }
}

pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    revoked: bool,
    keyset: &Keyset<'_, api_key::Entity>,
) -> AppResult<Vec<api_key::Model>> {
    keyset.fetch(db, listed(tenant, revoked)).await
}

pub async fn count(db: &impl ConnectionTrait, tenant: &TenantId, revoked: bool) -> AppResult<u64> {
    pagination::count(db, listed(tenant, revoked), api_key::Column::Id).await
}

pub async fn insert(db: &impl ConnectionTrait, row: api_key::Model) -> AppResult<api_key::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

/// The key whose secret hashes to `hash`, of whichever tenant: the one
/// read that precedes knowing the tenant, since the key is what names it.
pub async fn find_by_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> AppResult<Option<api_key::Model>> {
    Ok(tenancy::across_tenants::<api_key::Entity>()
        .filter(api_key::Column::SecretHash.eq(hash))
        .one(db)
        .await?)
}

/// Marks the key revoked now, unless it already was.
pub async fn revoke(db: &impl ConnectionTrait, tenant: &TenantId, key: &str) -> AppResult<()> {
    tenancy::update::<api_key::Entity>(tenant)
        .col_expr(api_key::Column::RevokedAt, Expr::val(crate::db::now()))
        .filter(api_key::Column::Id.eq(key))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Records that the key was just used.
pub async fn touch(db: &impl ConnectionTrait, tenant: &TenantId, key: &str) -> AppResult<()> {
    tenancy::update::<api_key::Entity>(tenant)
        .col_expr(api_key::Column::LastUsedAt, Expr::val(crate::db::now()))
        .filter(api_key::Column::Id.eq(key))
        .exec(db)
        .await?;
    Ok(())
}
