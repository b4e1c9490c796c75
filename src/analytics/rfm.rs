//! RFM scores: recency, frequency and monetary quintiles within the
//! tenant's paying customers (5 is best), and the segment they name.
//!
//! The tenant's paying customers are split into five near-equal groups by
//! each value (SQL `NTILE(5)`), and the largest value of each of the lower
//! four groups is kept as a breakpoint. A customer's score is 1 plus the
//! number of breakpoints its value exceeds, so reading a score never scans
//! the tenant.
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

use async_graphql::Enum;
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

use crate::error::AppResult;
use crate::tenancy::{self, TenantId};

/// Tenants with at most this many paying customers get exact breakpoints
/// on every read; larger ones are refreshed in the background.
pub const SYNC_REFRESH_MAX: i64 = 20_000;

type Time = chrono::DateTime<Utc>;

/// A tenant's quintile breakpoints (`None` where the tenant has too few
/// paying customers to fill a group).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Breakpoints {
    pub recency: [Option<Time>; 4],
    pub frequency: [Option<i64>; 4],
    pub monetary: [Option<i64>; 4],
}

impl From<&rfm_breakpoints::Model> for Breakpoints {
    fn from(m: &rfm_breakpoints::Model) -> Self {
        Breakpoints {
            recency: [m.recency1, m.recency2, m.recency3, m.recency4],
            frequency: [m.frequency1, m.frequency2, m.frequency3, m.frequency4],
            monetary: [m.monetary1, m.monetary2, m.monetary3, m.monetary4],
        }
    }
}

/// 1 plus the number of breakpoints `value` exceeds: 1..=5.
pub fn score<T: PartialOrd>(value: &T, breakpoints: &[Option<T>; 4]) -> u8 {
    1 + breakpoints
        .iter()
        .filter(|b| b.as_ref().is_some_and(|b| value > b))
        .count() as u8
}

/// `1 + Σ (value > breakpoint)`: [`score`] as SQL, for grouping and for
/// segment rules.
pub fn score_expr<T>(column: customer::Column, breakpoints: &[Option<T>; 4]) -> SimpleExpr
where
    T: Clone + Into<sea_orm::Value>,
{
    let mut score: SimpleExpr = Expr::val(1);
    for b in breakpoints.iter().flatten() {
        let above: SimpleExpr = Expr::case(Expr::col(column).gt(b.clone()), 1)
            .finally(0)
            .into();
        score = score.add(above);
    }
    // PostgreSQL adds integers as int4; rows decode an int8.
    Func::cast_as(score, Alias::new("BIGINT")).into()
}

/// The scores of a paying customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scores {
    pub recency: u8,
    pub frequency: u8,
    pub monetary: u8,
}

impl Breakpoints {
    pub fn scores(&self, last_order_at: Time, orders: i64, spent_cents: i64) -> Scores {
        Scores {
            recency: score(&last_order_at, &self.recency),
            frequency: score(&orders, &self.frequency),
            monetary: score(&spent_cents, &self.monetary),
        }
    }
}

/// The marketing segment an RFM score names, read from the recency score R
/// and FM, the mean of the frequency and monetary scores rounded up.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RfmSegment {
    /// Bought very recently, often and for much (R 5, FM 4–5).
    Champions,
    /// Bought fairly recently, often and for much (R 3–4, FM 4–5).
    Loyal,
    /// Bought recently, with middling frequency and spend (R 4–5, FM 2–3).
    PotentialLoyalist,
    /// Bought very recently, but little so far (R 5, FM 1).
    NewCustomers,
    /// Bought recently, but little so far (R 4, FM 1).
    Promising,
    /// Middling recency, frequency and spend (R 3, FM 3).
    NeedAttention,
    /// Middling recency, with low frequency and spend (R 3, FM 1–2).
    AboutToSleep,
    /// Used to buy often and for much, but not lately (R 1–2, FM 3–4).
    AtRisk,
    /// Among the most frequent and biggest spenders, but not lately
    /// (R 1–2, FM 5).
    CannotLose,
    /// Not lately, and little (R 2 with FM 1–2, or R 1 with FM 2).
    Hibernating,
    /// The longest silent, with the fewest orders and least spend
    /// (R 1, FM 1).
    Lost,
    /// No paid order.
    None,
}

impl RfmSegment {
    pub const ALL: [RfmSegment; 12] = [
        RfmSegment::Champions,
        RfmSegment::Loyal,
        RfmSegment::PotentialLoyalist,
        RfmSegment::NewCustomers,
        RfmSegment::Promising,
        RfmSegment::NeedAttention,
        RfmSegment::AboutToSleep,
        RfmSegment::AtRisk,
        RfmSegment::CannotLose,
        RfmSegment::Hibernating,
        RfmSegment::Lost,
        RfmSegment::None,
    ];

    /// The segment of a recency score and the rounded-up mean of the
    /// frequency and monetary scores (`docs/api.md` §7 has the table).
    pub fn of(scores: Scores) -> Self {
        let r = scores.recency;
        let fm = (scores.frequency + scores.monetary).div_ceil(2);
        match (r, fm) {
            (5, 1) => RfmSegment::NewCustomers,
            (4 | 5, 2..=3) => RfmSegment::PotentialLoyalist,
            (5, _) => RfmSegment::Champions,
            (4, 1) => RfmSegment::Promising,
            (3, 3) => RfmSegment::NeedAttention,
            (3, 1..=2) => RfmSegment::AboutToSleep,
            (3 | 4, _) => RfmSegment::Loyal,
            (1, 1) => RfmSegment::Lost,
            (1 | 2, 1 | 2) => RfmSegment::Hibernating,
            (_, 5..) => RfmSegment::CannotLose,
            _ => RfmSegment::AtRisk,
        }
    }
}

/// The tenant's current breakpoints (see the module's notes on freshness).
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn current(db: &DatabaseConnection, tenant: &TenantId) -> AppResult<Breakpoints> {
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
    pub db: DatabaseConnection,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_counts_the_breakpoints_exceeded() {
        let b = [Some(1), Some(2), Some(4), Some(8)];
        assert_eq!(score(&1, &b), 1);
        assert_eq!(score(&2, &b), 2);
        assert_eq!(score(&5, &b), 4);
        assert_eq!(score(&9, &b), 5);
        assert_eq!(score(&9, &[None; 4]), 1);
    }

    #[test]
    fn every_score_has_a_segment() {
        let segment = |r, f, m| {
            RfmSegment::of(Scores {
                recency: r,
                frequency: f,
                monetary: m,
            })
        };
        assert_eq!(segment(5, 5, 5), RfmSegment::Champions);
        assert_eq!(segment(5, 1, 1), RfmSegment::NewCustomers);
        assert_eq!(segment(4, 1, 1), RfmSegment::Promising);
        assert_eq!(segment(3, 5, 4), RfmSegment::Loyal);
        assert_eq!(segment(3, 3, 3), RfmSegment::NeedAttention);
        assert_eq!(segment(3, 1, 2), RfmSegment::AboutToSleep);
        assert_eq!(segment(1, 5, 5), RfmSegment::CannotLose);
        assert_eq!(segment(2, 3, 4), RfmSegment::AtRisk);
        assert_eq!(segment(2, 1, 1), RfmSegment::Hibernating);
        assert_eq!(segment(1, 1, 1), RfmSegment::Lost);
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    assert_ne!(segment(r, f, m), RfmSegment::None);
                }
            }
        }
    }
}
