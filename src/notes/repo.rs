//! Note rows: every function takes the tenant and starts from the
//! tenant-scoped queries of [`crate::tenancy`].

use std::collections::HashMap;

use entity::note;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};

use crate::error::AppResult;
use crate::graphql::pagination::{self, KeyKind, KeyValue, Keyset, Page, SortKey};
use crate::tenancy::{self, TenantId};

fn created_at(row: &note::Model) -> KeyValue {
    KeyValue::time(&row.created_at)
}

/// A customer's notes: newest first, by `(created_at, id)`.
pub const CREATED_AT: SortKey<note::Entity> = SortKey {
    name: "created_at",
    column: note::Column::CreatedAt,
    kind: KeyKind::Time,
    nullable: false,
    value: created_at,
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

pub async fn find_many(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<Vec<note::Model>> {
    Ok(tenancy::select::<note::Entity>(tenant)
        .filter(note::Column::Id.is_in(keys.iter().cloned()))
        .all(db)
        .await?)
}

/// The note, locked for the transaction on PostgreSQL.
pub async fn find_for_update(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<Option<note::Model>> {
    Ok(tenancy::select::<note::Entity>(tenant)
        .filter(note::Column::Id.eq(key))
        .lock_exclusive()
        .one(db)
        .await?)
}

pub async fn insert(db: &impl ConnectionTrait, row: note::Model) -> AppResult<note::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

pub async fn save(db: &impl ConnectionTrait, row: note::Model) -> AppResult<note::Model> {
    Ok(row.into_active_model().reset_all().update(db).await?)
}

/// Deletes a note; false when there was none.
pub async fn delete(db: &impl ConnectionTrait, tenant: &TenantId, key: &str) -> AppResult<bool> {
    let result = tenancy::delete::<note::Entity>(tenant)
        .filter(note::Column::Id.eq(key))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// One page of notes of each of these customers, in one statement.
pub async fn pages(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customers: &[String],
    page: &Page,
) -> AppResult<Vec<note::Model>> {
    keyset(page)
        .fetch_per_parent(
            db,
            tenancy::select::<note::Entity>(tenant),
            note::Column::CustomerId,
            customers,
        )
        .await
}

/// How many notes each of these customers has.
pub async fn counts(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customers: &[String],
) -> AppResult<HashMap<String, u64>> {
    pagination::count_per_parent(
        db,
        tenancy::select::<note::Entity>(tenant),
        note::Column::CustomerId,
        customers,
    )
    .await
}

/// Moves a customer's notes to another customer (merge).
pub async fn reassign(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    from: &str,
    to: &str,
) -> AppResult<()> {
    tenancy::update::<note::Entity>(tenant)
        .col_expr(note::Column::CustomerId, Expr::val(to))
        .filter(note::Column::CustomerId.eq(from))
        .exec(db)
        .await?;
    Ok(())
}

/// Inserts rows in multi-row statements (demo data).
pub async fn insert_many(db: &impl ConnectionTrait, rows: Vec<note::Model>) -> AppResult<()> {
    for chunk in rows.chunks(1000) {
        note::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(|row| row.into_active_model().reset_all()),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
