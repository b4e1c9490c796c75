//! `customerStats`: the tenant's numbers for a period, each an aggregate
//! query in the database.

use std::collections::HashMap;

use chrono::Utc;
use entity::{customer, order};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};

use super::rfm::{Breakpoints, RfmSegment, Scores, score_expr};
use crate::error::AppResult;
use crate::tenancy::{self, TenantId};

type Time = chrono::DateTime<Utc>;

/// The figures of `customerStats`, in cents where money.
#[derive(Debug, Default)]
pub struct Figures {
    pub total_customers: i64,
    pub new_customers: i64,
    pub active_customers: i64,
    pub total_orders: i64,
    pub revenue_cents: i128,
    pub paying_customers: i64,
    pub paying_spent_cents: i128,
    pub rfm: HashMap<RfmSegment, i64>,
}

fn sum_bigint(expr: SimpleExpr) -> SimpleExpr {
    // PostgreSQL sums a bigint into a numeric.
    Func::cast_as(Func::sum(expr), Alias::new("BIGINT")).into()
}

/// Money is summed in two parts, the billions of cents and the rest, each
/// of which fits 64 bits for any number of rows a table can hold: SQLite
/// stops at an overflowing integer sum, and PostgreSQL at casting one back.
const SPLIT: i64 = 1_000_000_000;

/// The high and low sums of a money column ([`SPLIT`]).
fn sum_money(column: impl Into<SimpleExpr> + Clone) -> (SimpleExpr, SimpleExpr) {
    let column: SimpleExpr = column.into();
    (
        sum_bigint(column.clone().div(SPLIT)),
        sum_bigint(column.modulo(SPLIT)),
    )
}

/// The sum of the two parts ([`sum_money`]), in cents.
fn joined(high: Option<i64>, low: Option<i64>) -> i128 {
    i128::from(high.unwrap_or(0)) * i128::from(SPLIT) + i128::from(low.unwrap_or(0))
}

#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn figures(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    from: Time,
    to: Time,
    breakpoints: &Breakpoints,
) -> AppResult<Figures> {
    use customer::Column as C;
    let count = || Expr::col(C::Id).count();
    let (total_customers, new_customers): (i64, Option<i64>) =
        tenancy::select::<customer::Entity>(tenant)
            .filter(C::CreatedAt.lt(to))
            .select_only()
            .column_as(count(), "total")
            .column_as(
                sum_bigint(Expr::case(C::CreatedAt.gte(from), 1).finally(0).into()),
                "new",
            )
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or_default();

    let (revenue_high, revenue_low) = sum_money(Expr::col(order::Column::AmountCents));
    let (total_orders, high, low, active): (i64, Option<i64>, Option<i64>, i64) =
        tenancy::select::<order::Entity>(tenant)
            .filter(order::Column::Status.eq(crate::orders::repo::PAID))
            .filter(order::Column::PlacedAt.gte(from))
            .filter(order::Column::PlacedAt.lt(to))
            .select_only()
            .column_as(Expr::col(order::Column::Id).count(), "orders")
            .column_as(revenue_high, "revenue_high")
            .column_as(revenue_low, "revenue_low")
            .column_as(
                Expr::col(order::Column::CustomerId).count_distinct(),
                "active",
            )
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or_default();

    // Scores of the paying customers, grouped: at most 125 rows.
    let (spent_high, spent_low) = sum_money(Expr::col(C::TotalSpentCents));
    // Scores (recency, frequency, monetary), customers, money sum parts.
    type Group = (i64, i64, i64, i64, Option<i64>, Option<i64>);
    let groups: Vec<Group> = tenancy::select::<customer::Entity>(tenant)
        .filter(C::TotalOrders.gt(0))
        .select_only()
        .column_as(score_expr(C::LastOrderAt, &breakpoints.recency), "r")
        .column_as(score_expr(C::TotalOrders, &breakpoints.frequency), "f")
        .column_as(score_expr(C::TotalSpentCents, &breakpoints.monetary), "m")
        .column_as(count(), "n")
        .column_as(spent_high, "spent_high")
        .column_as(spent_low, "spent_low")
        .group_by(Expr::col(Alias::new("r")))
        .group_by(Expr::col(Alias::new("f")))
        .group_by(Expr::col(Alias::new("m")))
        .into_tuple()
        .all(db)
        .await?;
    let all_customers: Option<i64> = tenancy::select::<customer::Entity>(tenant)
        .select_only()
        .column_as(count(), "n")
        .into_tuple()
        .one(db)
        .await?;

    let mut figures = Figures {
        total_customers,
        new_customers: new_customers.unwrap_or(0),
        active_customers: active,
        total_orders,
        revenue_cents: joined(high, low),
        ..Figures::default()
    };
    let clamp = |n: i64| u8::try_from(n.clamp(1, 5)).unwrap_or(1);
    for (r, f, m, n, high, low) in groups {
        let segment = RfmSegment::of(Scores {
            recency: clamp(r),
            frequency: clamp(f),
            monetary: clamp(m),
        });
        *figures.rfm.entry(segment).or_default() += n;
        figures.paying_customers += n;
        figures.paying_spent_cents += joined(high, low);
    }
    let none = all_customers.unwrap_or(0) - figures.paying_customers;
    figures.rfm.insert(RfmSegment::None, std::cmp::max(none, 0));
    Ok(figures)
}
