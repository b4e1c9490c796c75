//! The tenant's RFM breakpoints, kept current.
//!
//! Breakpoints are kept per tenant in `rfm_breakpoints`, with the newest
//! order change they have seen. Reading them checks that mark against the
//! tenant's orders (one index probe): a tenant of up to
//! [`SYNC_REFRESH_MAX`] paying customers is recomputed right then, so its
//! scores are exact; a larger tenant is recomputed by the server's
//! background refresher (every `CRM_RFM_REFRESH`, one minute by default),
//! so its breakpoints are at most that old.

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::dataloader::Loader;
use chrono::Utc;
use entity::{customer, order, rfm_breakpoints};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait as _, Func, OnConflict, Order, Query, SimpleExpr,
    WindowStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    IntoActiveModel, QueryFilter, QuerySelect, TransactionTrait,
};

use super::rfm::Breakpoints;
use crate::error::AppResult;
use crate::tenancy::{self, TenantId};

/// Tenants with at most this many paying customers get exact breakpoints
/// on every read; larger ones are refreshed in the background.
pub const SYNC_REFRESH_MAX: i64 = 20_000;

type Time = chrono::DateTime<Utc>;

/// The tenant's current breakpoints (see the module's notes on freshness).
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn current(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<Breakpoints> {
    let stored = tenancy::select::<rfm_breakpoints::Entity>(tenant)
        .one(db)
        .await?;
    let changed = orders_changed_at(db, tenant).await?;
    match stored {
        Some(row)
            if row.orders_changed_at == changed || row.paying_customers > SYNC_REFRESH_MAX =>
        {
            Ok(Breakpoints::from(&row))
        }
        _ => Ok(refresh(db, tenant, changed).await?),
    }
}

/// The newest change to the tenant's orders.
async fn orders_changed_at(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
) -> AppResult<Option<Time>> {
    let newest: Option<Option<Time>> = tenancy::select::<order::Entity>(tenant)
        .select_only()
        .column_as(Expr::col(order::Column::UpdatedAt).max(), "newest")
        .into_tuple()
        .one(db)
        .await?;
    Ok(newest.flatten())
}

#[derive(FromQueryResult)]
struct Computed {
    paying: i64,
    r1: Option<Time>,
    r2: Option<Time>,
    r3: Option<Time>,
    r4: Option<Time>,
    f1: Option<i64>,
    f2: Option<i64>,
    f3: Option<i64>,
    f4: Option<i64>,
    m1: Option<i64>,
    m2: Option<i64>,
    m3: Option<i64>,
    m4: Option<i64>,
}

/// Recomputes and stores the tenant's breakpoints in one pass over its
/// paying customers.
pub async fn refresh(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    orders_changed_at: Option<Time>,
) -> AppResult<Breakpoints> {
    use customer::Column as C;
    let values = [
        (C::LastOrderAt, "rb", "r"),
        (C::TotalOrders, "fb", "f"),
        (C::TotalSpentCents, "mb", "m"),
    ];
    let mut ranked = tenancy::subquery::<customer::Entity>(tenant);
    ranked.and_where(Expr::col(C::TotalOrders).gt(0));
    for (column, bucket, _) in values {
        ranked.column(column).expr_window_as(
            Func::cust("NTILE").arg(5),
            WindowStatement::new()
                .order_by(column, Order::Asc)
                .to_owned(),
            bucket,
        );
    }
    let mut query = Query::select();
    query
        .from_subquery(ranked, "ranked")
        .expr_as(Expr::col(Asterisk).count(), "paying");
    for (column, bucket, prefix) in values {
        for k in 1..=4 {
            let in_group: SimpleExpr =
                Expr::case(Expr::col(Alias::new(bucket)).eq(k), Expr::col(column)).into();
            query.expr_as(Func::max(in_group), format!("{prefix}{k}"));
        }
    }
    let statement = db.get_database_backend().build(&query);
    let computed = Computed::find_by_statement(statement)
        .one(db)
        .await?
        .unwrap_or(Computed {
            paying: 0,
            r1: None,
            r2: None,
            r3: None,
            r4: None,
            f1: None,
            f2: None,
            f3: None,
            f4: None,
            m1: None,
            m2: None,
            m3: None,
            m4: None,
        });
    let row = rfm_breakpoints::Model {
        tenant_id: tenant.as_str().to_owned(),
        paying_customers: computed.paying,
        recency1: computed.r1,
        recency2: computed.r2,
        recency3: computed.r3,
        recency4: computed.r4,
        frequency1: computed.f1,
        frequency2: computed.f2,
        frequency3: computed.f3,
        frequency4: computed.f4,
        monetary1: computed.m1,
        monetary2: computed.m2,
        monetary3: computed.m3,
        monetary4: computed.m4,
        orders_changed_at,
        computed_at: crate::db::now(),
    };
    use rfm_breakpoints::Column as B;
    let stored = rfm_breakpoints::Entity::insert(row.clone().into_active_model())
        .on_conflict(
            OnConflict::column(B::TenantId)
                .update_columns([
                    B::PayingCustomers,
                    B::Recency1,
                    B::Recency2,
                    B::Recency3,
                    B::Recency4,
                    B::Frequency1,
                    B::Frequency2,
                    B::Frequency3,
                    B::Frequency4,
                    B::Monetary1,
                    B::Monetary2,
                    B::Monetary3,
                    B::Monetary4,
                    B::OrdersChangedAt,
                    B::ComputedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await;
    // Storing is a cache for the next read: when the database is busy
    // with writers (SQLite), the breakpoints just computed still answer.
    if let Err(err) = stored {
        tracing::warn!(error = ?err, "RFM breakpoints computed but not stored");
    }
    Ok(Breakpoints::from(&row))
}

/// Refreshes, every `every`, the breakpoints of the large tenants whose
/// orders changed since their last refresh. Runs for the life of the
/// server.
pub async fn refresh_forever(db: DatabaseConnection, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if let Err(err) = refresh_large_tenants(&db).await {
            tracing::warn!(error = ?err, "RFM breakpoint refresh failed");
        }
    }
}

async fn refresh_large_tenants(db: &DatabaseConnection) -> AppResult<()> {
    let large = tenancy::across_tenants::<rfm_breakpoints::Entity>()
        .filter(rfm_breakpoints::Column::PayingCustomers.gt(SYNC_REFRESH_MAX))
        .all(db)
        .await?;
    for row in large {
        let Some(tenant) = TenantId::parse(&row.tenant_id) else {
            continue;
        };
        let changed = orders_changed_at(db, &tenant).await?;
        if changed != row.orders_changed_at {
            // A pass over a large tenant may outlast a request's timeout.
            let txn = db.begin().await?;
            crate::db::lift_statement_timeout(&txn).await?;
            refresh(&txn, &tenant, changed).await?;
            txn.commit().await?;
        }
    }
    Ok(())
}

/// The request's tenant breakpoints, loaded once per request.
pub struct BreakpointLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<()> for BreakpointLoader {
    type Value = Breakpoints;
    type Error = async_graphql::Error;

    async fn load(&self, _: &[()]) -> Result<HashMap<(), Breakpoints>, Self::Error> {
        let current = current(&self.db, &self.tenant).await?;
        Ok(HashMap::from([((), current)]))
    }
}

crate::graphql::tenant_loaders!(BreakpointLoader);
