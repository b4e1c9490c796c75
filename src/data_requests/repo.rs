//! Data request rows, their audit records and export archives: every
//! function takes the tenant and starts from the tenant-scoped queries of
//! [`crate::tenancy`].

use std::borrow::Cow;

use entity::data_request::RequestStatus;
use entity::{data_request, erasure_audit, export};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};

use crate::error::AppResult;
use crate::graphql::pagination::{
    self, KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, Page, SortKey,
};
use crate::tenancy::{self, TenantId};

fn created_at(row: &data_request::Model) -> KeyValue {
    KeyValue::time(&row.created_at)
}

/// Requests, newest first, by `(created_at, id)`.
pub static CREATED_AT: SortKey<data_request::Entity> = SortKey {
    name: Cow::Borrowed("created_at"),
    column: KeyColumn::Column(data_request::Column::CreatedAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(created_at),
};

pub fn keyset(page: &Page) -> Keyset<'_, data_request::Entity> {
    Keyset {
        sort: &CREATED_AT,
        id: data_request::Column::Id,
        ascending: false,
        page,
        id_of: |row| row.id.as_str(),
    }
}

/// The filter of `removalRequests`.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub status: Option<RequestStatus>,
    pub customer: Option<String>,
}

impl Filter {
    fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(status) = self.status {
            condition = condition.add(data_request::Column::Status.eq(status));
        }
        if let Some(customer) = &self.customer {
            condition = condition.add(data_request::Column::CustomerId.eq(customer.as_str()));
        }
        condition
    }
}

pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keyset: &Keyset<'_, data_request::Entity>,
    filter: &Filter,
) -> AppResult<Vec<data_request::Model>> {
    keyset
        .fetch(
            db,
            tenancy::select::<data_request::Entity>(tenant).filter(filter.condition()),
        )
        .await
}

pub async fn count(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    filter: &Filter,
) -> AppResult<u64> {
    pagination::count(
        db,
        tenancy::select::<data_request::Entity>(tenant).filter(filter.condition()),
        data_request::Column::Id,
    )
    .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: data_request::Model,
) -> AppResult<data_request::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

pub async fn save(
    db: &impl ConnectionTrait,
    row: data_request::Model,
) -> AppResult<data_request::Model> {
    Ok(row.into_active_model().reset_all().update(db).await?)
}

/// Moves a waiting request to `PROCESSING`; false when it was not waiting.
pub async fn mark_processing(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<bool> {
    let result = tenancy::update::<data_request::Entity>(tenant)
        .col_expr(
            data_request::Column::Status,
            Expr::val(RequestStatus::Processing),
        )
        .col_expr(data_request::Column::UpdatedAt, Expr::val(crate::db::now()))
        .filter(data_request::Column::Id.eq(key))
        .filter(data_request::Column::Status.eq(RequestStatus::Pending))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

pub async fn insert_audit(db: &impl ConnectionTrait, row: erasure_audit::Model) -> AppResult<()> {
    row.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

pub async fn audits(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    request_keys: &[String],
) -> AppResult<Vec<erasure_audit::Model>> {
    Ok(tenancy::select::<erasure_audit::Entity>(tenant)
        .filter(erasure_audit::Column::RequestId.is_in(request_keys.iter().cloned()))
        .all(db)
        .await?)
}

pub async fn insert_export(db: &impl ConnectionTrait, row: export::Model) -> AppResult<()> {
    row.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

/// The export archive of a request, unless it has expired.
pub async fn find_export(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    request_key: &str,
) -> AppResult<Option<export::Model>> {
    Ok(tenancy::select::<export::Entity>(tenant)
        .filter(export::Column::RequestId.eq(request_key))
        .filter(export::Column::ExpiresAt.gt(crate::db::now()))
        .one(db)
        .await?)
}

/// When each request's archive expires (unexpired archives only), without
/// the archives themselves.
pub async fn export_expiries(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    request_keys: &[String],
) -> AppResult<Vec<(String, String, chrono::DateTime<chrono::Utc>)>> {
    Ok(tenancy::select::<export::Entity>(tenant)
        .filter(export::Column::RequestId.is_in(request_keys.iter().cloned()))
        .filter(export::Column::ExpiresAt.gt(crate::db::now()))
        .select_only()
        .column(export::Column::RequestId)
        .column(export::Column::LinkKey)
        .column(export::Column::ExpiresAt)
        .into_tuple()
        .all(db)
        .await?)
}

/// Deletes a customer's export archives; how many there were.
pub async fn delete_exports_of(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customer: &str,
) -> AppResult<u64> {
    Ok(tenancy::delete::<export::Entity>(tenant)
        .filter(export::Column::CustomerId.eq(customer))
        .exec(db)
        .await?
        .rows_affected)
}
