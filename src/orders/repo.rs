//! Order rows: every function takes the tenant and starts from the
//! tenant-scoped queries of [`crate::tenancy`].

use std::borrow::Cow;

use entity::order;
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, IntoActiveModel, QueryFilter,
    QuerySelect,
};

use crate::error::AppResult;
use crate::graphql::pagination::{KeyColumn, KeyKind, KeyRead, KeyValue, Keyset, Page, SortKey};
use crate::profiles::repo::Totals;
use crate::tenancy::{self, TenantId};

/// The status whose orders count toward spend.
pub const PAID: &str = "PAID";

fn placed_at(row: &order::Model) -> KeyValue {
    KeyValue::time(&row.placed_at)
}

/// A customer's orders: newest first, by `(placed_at, id)`.
pub static PLACED_AT: SortKey<order::Entity> = SortKey {
    name: Cow::Borrowed("placed_at"),
    column: KeyColumn::Column(order::Column::PlacedAt),
    kind: KeyKind::Time,
    nullable: false,
    value: KeyRead::Row(placed_at),
};

pub fn keyset(page: &Page) -> Keyset<'_, order::Entity> {
    Keyset {
        sort: &PLACED_AT,
        id: order::Column::Id,
        ascending: false,
        page,
        id_of: |row| row.id.as_str(),
    }
}

/// The order with this external ID, locked for the transaction on
/// PostgreSQL.
pub async fn lock_by_external_id(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    external_id: &str,
) -> AppResult<Option<order::Model>> {
    Ok(tenancy::select::<order::Entity>(tenant)
        .filter(order::Column::ExternalId.eq(external_id))
        .lock_exclusive()
        .one(db)
        .await?)
}

/// Inserts a new order; a unique violation on the external ID is left to
/// the caller (a concurrent writer won).
pub async fn insert(db: &impl ConnectionTrait, row: order::Model) -> Result<order::Model, DbErr> {
    row.into_active_model().reset_all().insert(db).await
}

/// Writes every column of an order found through the scoped queries.
pub async fn save(db: &impl ConnectionTrait, row: order::Model) -> Result<order::Model, DbErr> {
    row.into_active_model().reset_all().update(db).await
}

/// The totals of a customer's paid orders, from the orders themselves.
pub async fn paid_totals(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customer: &str,
) -> AppResult<Totals> {
    let amount = Expr::col(order::Column::AmountCents).sum();
    type Time = chrono::DateTime<chrono::Utc>;
    type Row = (i64, Option<i64>, Option<Time>, Option<Time>);
    let row: Option<Row> = tenancy::select::<order::Entity>(tenant)
        .filter(order::Column::CustomerId.eq(customer))
        .filter(order::Column::Status.eq(PAID))
        .select_only()
        .column_as(Expr::col(order::Column::Id).count(), "orders")
        // PostgreSQL sums a bigint into a numeric.
        .column_as(
            SimpleExpr::from(Func::cast_as(amount, Alias::new("BIGINT"))),
            "spent",
        )
        .column_as(Expr::col(order::Column::PlacedAt).min(), "first_at")
        .column_as(Expr::col(order::Column::PlacedAt).max(), "last_at")
        .into_tuple()
        .one(db)
        .await?;
    Ok(row
        .map(|(orders, spent, first_at, last_at)| Totals {
            orders,
            spent_cents: spent.unwrap_or(0),
            first_at,
            last_at,
        })
        .unwrap_or_default())
}

/// Moves a customer's orders to another customer (merge).
pub async fn reassign(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    from: &str,
    to: &str,
) -> AppResult<()> {
    tenancy::update::<order::Entity>(tenant)
        .col_expr(order::Column::CustomerId, Expr::val(to))
        .col_expr(order::Column::UpdatedAt, Expr::val(crate::db::now()))
        .filter(order::Column::CustomerId.eq(from))
        .exec(db)
        .await?;
    Ok(())
}

/// Detaches a customer's orders before the customer is deleted: the
/// amounts stay for revenue statistics, the link goes.
/// Unlinks a customer's orders (they stay, for revenue statistics); how
/// many there were.
pub async fn detach(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customer: &str,
) -> AppResult<u64> {
    let result = tenancy::update::<order::Entity>(tenant)
        .col_expr(order::Column::CustomerId, Expr::val(Option::<String>::None))
        .col_expr(order::Column::UpdatedAt, Expr::val(crate::db::now()))
        .filter(order::Column::CustomerId.eq(customer))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Inserts rows in multi-row statements (demo data).
pub async fn insert_many(db: &impl ConnectionTrait, rows: Vec<order::Model>) -> AppResult<()> {
    Ok(crate::db::insert_rows::<order::Entity>(db, &rows, 1000, crate::db::Taken::Fail).await?)
}
