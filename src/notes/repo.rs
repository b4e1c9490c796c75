//! Note rows: every function takes the tenant and starts from the
//! tenant-scoped queries of [`crate::tenancy`].

use std::borrow::Cow;

use entity::note;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter};

use crate::error::AppResult;
use crate::graphql::pagination::{KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, Page, SortKey};
use crate::ids::NoteId;
use crate::tenancy::{self, TenantId};

fn created_at(row: &note::Model) -> KeyValue {
    KeyValue::time(&row.created_at)
}

/// A customer's notes: newest first, by `(created_at, id)`.
pub static CREATED_AT: SortKey<note::Entity> = SortKey {
    name: Cow::Borrowed("created_at"),
    column: KeyColumn::Column(note::Column::CreatedAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(created_at),
};

pub fn keyset(page: &Page) -> Keyset<'_, note::Entity> {
    Keyset {
        sort: &CREATED_AT,
        id: note::Column::Id,
        ascending: false,
        page,
        id_of: |row| row.id.as_str(),
    }
}

/// The note, locked for the transaction on PostgreSQL.
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &NoteId,
) -> AppResult<Option<note::Model>> {
    tenancy::find_for_update::<note::Entity>(db, tenant, key.as_str()).await
}

pub async fn insert(db: &impl ConnectionTrait, row: note::Model) -> AppResult<note::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

pub async fn save(db: &impl ConnectionTrait, row: note::Model) -> AppResult<note::Model> {
    Ok(row.into_active_model().reset_all().update(db).await?)
}

/// Deletes a note; false when there was none.
pub async fn delete(db: &impl ConnectionTrait, tenant: &TenantId, key: &NoteId) -> AppResult<bool> {
    let result = tenancy::delete::<note::Entity>(tenant)
        .filter(note::Column::Id.eq(key.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Inserts rows in multi-row statements (demo data).
pub async fn insert_many(db: &impl ConnectionTrait, rows: Vec<note::Model>) -> AppResult<()> {
    Ok(crate::db::insert_rows::<note::Entity>(db, &rows, 1000, crate::db::Taken::Fail).await?)
}
