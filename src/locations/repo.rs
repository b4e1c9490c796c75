//! Location rows, through the tenant-scoped queries of [`crate::tenancy`].

use std::borrow::Cow;

use entity::location;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, IntoActiveModel, QueryFilter,
};

use crate::error::AppResult;
use crate::graphql::pagination::{
    self, KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, Page, SortKey,
};
use crate::tenancy::{self, TenantId};

fn created_at(row: &location::Model) -> KeyValue {
    KeyValue::time(&row.created_at)
}

/// Locations, in the order they were created.
pub static CREATED_AT: SortKey<location::Entity> = SortKey {
    name: Cow::Borrowed("created_at"),
    column: KeyColumn::Column(location::Column::CreatedAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(created_at),
};

pub fn keyset(page: &Page) -> Keyset<'_, location::Entity> {
    Keyset {
        sort: &CREATED_AT,
        id: location::Column::Id,
        ascending: true,
        page,
        id_of: |row| row.id.as_str(),
    }
}

pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keyset: &Keyset<'_, location::Entity>,
) -> AppResult<Vec<location::Model>> {
    keyset
        .fetch(db, tenancy::select::<location::Entity>(tenant))
        .await
}

pub async fn count(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<u64> {
    pagination::count(
        db,
        tenancy::select::<location::Entity>(tenant),
        location::Column::Id,
    )
    .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: location::Model,
) -> Result<location::Model, DbErr> {
    row.into_active_model().reset_all().insert(db).await
}

pub async fn save(
    db: &impl ConnectionTrait,
    mut row: location::Model,
) -> Result<location::Model, DbErr> {
    row.updated_at = crate::db::now();
    row.into_active_model().reset_all().update(db).await
}

/// Deletes a location; its customers stay, without it. False when there
/// was none.
pub async fn delete(db: &impl ConnectionTrait, tenant: &TenantId, key: &str) -> AppResult<bool> {
    tenancy::delete::<entity::customer_location::Entity>(tenant)
        .filter(entity::customer_location::Column::LocationId.eq(key))
        .exec(db)
        .await?;
    let deleted = tenancy::delete::<location::Entity>(tenant)
        .filter(location::Column::Id.eq(key))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}
