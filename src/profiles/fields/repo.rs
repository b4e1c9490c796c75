//! The `custom_field_definitions` table.

use entity::custom_field;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, IntoActiveModel as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _,
};

use crate::error::AppResult;
use crate::tenancy::{self, TenantId};

/// The tenant's definitions by key, archived ones when asked.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    include_archived: bool,
) -> AppResult<Vec<custom_field::Model>> {
    let mut query = tenancy::select::<custom_field::Entity>(tenant);
    if !include_archived {
        query = query.filter(custom_field::Column::Archived.eq(false));
    }
    Ok(query
        .order_by_asc(custom_field::Column::Key)
        .all(db)
        .await?)
}

/// The tenant's definition `key`.
pub async fn find(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<Option<custom_field::Model>> {
    tenancy::find::<custom_field::Entity>(db, tenant, key).await
}

/// The tenant's definition `key`, its row locked for the write.
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<Option<custom_field::Model>> {
    tenancy::find_for_update::<custom_field::Entity>(db, tenant, key).await
}

/// How many definitions the tenant has, archived ones included.
pub async fn count(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<u64> {
    Ok(tenancy::select::<custom_field::Entity>(tenant)
        .count(db)
        .await?)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: custom_field::Model,
) -> Result<custom_field::Model, sea_orm::DbErr> {
    row.into_active_model().reset_all().insert(db).await
}

pub async fn save(
    db: &impl ConnectionTrait,
    row: custom_field::Model,
) -> AppResult<custom_field::Model> {
    Ok(row.into_active_model().reset_all().update(db).await?)
}
