//! Webhook rows: every function takes the tenant and starts from the
//! tenant-scoped queries of [`crate::tenancy`].

use std::borrow::Cow;

use entity::webhook_delivery::DeliveryStatus;
use entity::{webhook_attempt, webhook_delivery, webhook_endpoint, webhook_event};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};

use crate::error::AppResult;
use crate::graphql::pagination::{
    self, KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, Page, SortKey,
};
use crate::ids::WebhookEndpointId;
use crate::tenancy::{self, TenantId};

/// Rows per multi-row insert.
const ROWS_PER_STATEMENT: usize = 500;

fn endpoint_created_at(row: &webhook_endpoint::Model) -> KeyValue {
    KeyValue::time(&row.created_at)
}

/// Endpoints, newest first.
pub static ENDPOINT_CREATED_AT: SortKey<webhook_endpoint::Entity> = SortKey {
    name: Cow::Borrowed("created_at"),
    column: KeyColumn::Column(webhook_endpoint::Column::CreatedAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(endpoint_created_at),
};

pub fn endpoint_keyset(page: &Page) -> Keyset<'_, webhook_endpoint::Entity> {
    Keyset {
        sort: &ENDPOINT_CREATED_AT,
        id: webhook_endpoint::Column::Id,
        ascending: false,
        page,
        id_of: |row| row.id.as_str(),
    }
}

fn delivery_created_at(row: &webhook_delivery::Model) -> KeyValue {
    KeyValue::time(&row.created_at)
}

/// Deliveries, newest first.
pub static DELIVERY_CREATED_AT: SortKey<webhook_delivery::Entity> = SortKey {
    name: Cow::Borrowed("created_at"),
    column: KeyColumn::Column(webhook_delivery::Column::CreatedAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(delivery_created_at),
};

pub fn delivery_keyset(page: &Page) -> Keyset<'_, webhook_delivery::Entity> {
    Keyset {
        sort: &DELIVERY_CREATED_AT,
        id: webhook_delivery::Column::Id,
        ascending: false,
        page,
        id_of: |row| row.id.as_str(),
    }
}

pub async fn list_endpoints(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keyset: &Keyset<'_, webhook_endpoint::Entity>,
) -> AppResult<Vec<webhook_endpoint::Model>> {
    keyset
        .fetch(db, tenancy::select::<webhook_endpoint::Entity>(tenant))
        .await
}

pub async fn count_endpoints(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<u64> {
    pagination::count(
        db,
        tenancy::select::<webhook_endpoint::Entity>(tenant),
        webhook_endpoint::Column::Id,
    )
    .await
}

/// The tenant's endpoints that are not disabled.
pub async fn active_endpoints(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
) -> AppResult<Vec<webhook_endpoint::Model>> {
    Ok(tenancy::select::<webhook_endpoint::Entity>(tenant)
        .filter(webhook_endpoint::Column::DisabledAt.is_null())
        .all(db)
        .await?)
}

pub async fn insert_endpoint(
    db: &impl ConnectionTrait,
    row: webhook_endpoint::Model,
) -> AppResult<webhook_endpoint::Model> {
    Ok(row.into_active_model().reset_all().insert(db).await?)
}

/// Deletes an endpoint with its deliveries; false when there was none.
pub async fn delete_endpoint(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &WebhookEndpointId,
) -> AppResult<bool> {
    let result = tenancy::delete::<webhook_endpoint::Entity>(tenant)
        .filter(webhook_endpoint::Column::Id.eq(key.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Turns an endpoint off (the receiver said 410 Gone).
pub async fn disable_endpoint(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
    reason: &str,
) -> AppResult<()> {
    let now = crate::db::now();
    tenancy::update::<webhook_endpoint::Entity>(tenant)
        .col_expr(webhook_endpoint::Column::DisabledAt, Expr::val(now))
        .col_expr(webhook_endpoint::Column::DisabledReason, Expr::val(reason))
        .col_expr(webhook_endpoint::Column::UpdatedAt, Expr::val(now))
        .filter(webhook_endpoint::Column::Id.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn insert_events(
    db: &impl ConnectionTrait,
    rows: &[webhook_event::Model],
) -> AppResult<()> {
    Ok(crate::db::insert_rows::<webhook_event::Entity>(
        db,
        rows,
        ROWS_PER_STATEMENT,
        crate::db::Taken::Fail,
    )
    .await?)
}

pub async fn insert_deliveries(
    db: &impl ConnectionTrait,
    rows: &[webhook_delivery::Model],
) -> AppResult<()> {
    Ok(crate::db::insert_rows::<webhook_delivery::Entity>(
        db,
        rows,
        ROWS_PER_STATEMENT,
        crate::db::Taken::Fail,
    )
    .await?)
}

pub async fn save_delivery(
    db: &impl ConnectionTrait,
    row: webhook_delivery::Model,
) -> AppResult<webhook_delivery::Model> {
    Ok(row.into_active_model().reset_all().update(db).await?)
}

fn delivery_condition(endpoint: &str, status: Option<DeliveryStatus>) -> Condition {
    let mut condition = Condition::all().add(webhook_delivery::Column::EndpointId.eq(endpoint));
    if let Some(status) = status {
        condition = condition.add(webhook_delivery::Column::Status.eq(status));
    }
    condition
}

pub async fn list_deliveries(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    endpoint: &str,
    status: Option<DeliveryStatus>,
    keyset: &Keyset<'_, webhook_delivery::Entity>,
) -> AppResult<Vec<webhook_delivery::Model>> {
    keyset
        .fetch(
            db,
            tenancy::select::<webhook_delivery::Entity>(tenant)
                .filter(delivery_condition(endpoint, status)),
        )
        .await
}

pub async fn count_deliveries(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    endpoint: &str,
    status: Option<DeliveryStatus>,
) -> AppResult<u64> {
    pagination::count(
        db,
        tenancy::select::<webhook_delivery::Entity>(tenant)
            .filter(delivery_condition(endpoint, status)),
        webhook_delivery::Column::Id,
    )
    .await
}

pub async fn insert_attempt(
    db: &impl ConnectionTrait,
    row: webhook_attempt::Model,
) -> AppResult<()> {
    row.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

/// The attempts of these deliveries, oldest first.
pub async fn attempts(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    delivery_keys: &[String],
) -> AppResult<Vec<webhook_attempt::Model>> {
    Ok(tenancy::select::<webhook_attempt::Entity>(tenant)
        .filter(webhook_attempt::Column::DeliveryId.is_in(delivery_keys.iter().cloned()))
        .order_by_asc(webhook_attempt::Column::AttemptedAt)
        .order_by_asc(webhook_attempt::Column::Id)
        .all(db)
        .await?)
}
