//! The metrics part of the schema: `Customer.metrics` and `customerStats`.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entity::customer;

use super::breakpoints::BreakpointLoader;
use super::rfm::RfmSegment;
use super::{churn, stats};
use crate::auth::Scope;
use crate::error::bad_input;
use crate::graphql::ContextExt;
use crate::graphql::ScopeGuard;
use crate::graphql::scalars::{DateTime, Decimal};
use crate::ids;
use crate::profiles::metrics::rounded_average;

/// RFM scores: quintiles within the tenant's paying customers, 5 best;
/// null without a paid order.
#[derive(SimpleObject)]
pub struct RfmScore {
    /// 1–5 by the time of the last paid order: 5 for the most recent.
    pub recency_score: Option<i32>,
    /// 1–5 by the number of paid orders: 5 for the most.
    pub frequency_score: Option<i32>,
    /// 1–5 by the spend to date: 5 for the most.
    pub monetary_score: Option<i32>,
    /// The segment the scores name; `NONE` without a paid order.
    pub segment: RfmSegment,
}

/// What a customer's orders say about them.
#[derive(SimpleObject)]
pub struct CustomerMetrics {
    /// Recency, frequency and monetary scores, and the segment they name.
    pub rfm: RfmScore,
    /// Spent to date: the sum of paid orders.
    pub lifetime_value: Decimal,
    /// `totalSpent / totalOrders`, to the cent (0 without orders).
    pub average_order_value: Decimal,
    /// Paid orders.
    pub total_orders: i64,
    /// Sum of paid orders.
    pub total_spent: Decimal,
    /// Mean days between paid orders; null below 2 orders.
    pub purchase_frequency_days: Option<f64>,
    /// 0..1, growing with the time since the last order measured against
    /// the customer's own rhythm (`docs/api.md` §7 has the formula); null
    /// with no paid order.
    pub churn_risk: Option<f64>,
    /// When the first paid order was placed; null without one.
    pub first_order_at: Option<DateTime>,
    /// When the latest paid order was placed; null without one.
    pub last_order_at: Option<DateTime>,
    /// When these figures were computed.
    pub computed_at: DateTime,
}

/// Half-up division of cents; 0 for no `n`.
fn average(total_cents: impl Into<i128>, n: i64) -> Decimal {
    Decimal(rounded_average(total_cents.into(), n).unwrap_or(0))
}

/// `Customer.metrics`, from the row and the tenant's breakpoints (loaded
/// once per request).
pub async fn customer_metrics(ctx: &Context<'_>, row: &customer::Model) -> Result<CustomerMetrics> {
    let session = ctx.session()?;
    let now = crate::db::now();
    let rfm = match row.last_order_at {
        Some(last) if row.total_orders > 0 => {
            let breakpoints = session
                .loaders
                .get::<BreakpointLoader>()
                .load_one(())
                .await?
                .unwrap_or_default();
            let scores = breakpoints.scores(last, row.total_orders, row.total_spent_cents);
            RfmScore {
                recency_score: Some(i32::from(scores.recency)),
                frequency_score: Some(i32::from(scores.frequency)),
                monetary_score: Some(i32::from(scores.monetary)),
                segment: RfmSegment::of(scores),
            }
        }
        _ => RfmScore {
            recency_score: None,
            frequency_score: None,
            monetary_score: None,
            segment: RfmSegment::None,
        },
    };
    Ok(CustomerMetrics {
        rfm,
        lifetime_value: Decimal::from(row.total_spent_cents),
        average_order_value: average(row.total_spent_cents, row.total_orders),
        total_orders: row.total_orders,
        total_spent: Decimal::from(row.total_spent_cents),
        purchase_frequency_days: churn::purchase_frequency_days(
            row.total_orders,
            row.first_order_at,
            row.last_order_at,
        ),
        churn_risk: churn::churn_risk(row.total_orders, row.first_order_at, row.last_order_at, now),
        first_order_at: row.first_order_at.map(DateTime),
        last_order_at: row.last_order_at.map(DateTime),
        computed_at: DateTime(now),
    })
}

/// How many customers an RFM segment holds.
#[derive(SimpleObject)]
pub struct RfmSegmentCount {
    /// The RFM segment.
    pub segment: RfmSegment,
    /// How many of the tenant's customers are in it now.
    pub count: i64,
}

/// A span of time, `start` included, `end` excluded.
#[derive(SimpleObject)]
pub struct Period {
    /// The first instant of the period (included).
    pub start: DateTime,
    /// The instant the period ends (excluded).
    pub end: DateTime,
}

/// The tenant's figures for a period.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CustomerStats {
    /// Customers created before the period's end.
    pub total_customers: i64,
    /// Customers created in the period.
    pub new_customers: i64,
    /// Customers with a paid order placed in the period.
    pub active_customers: i64,
    /// Paid orders placed in the period.
    pub total_orders: i64,
    /// The sum of those orders.
    pub revenue: Decimal,
    /// `revenue / totalOrders`, to the cent (0 without orders).
    pub average_order_value: Decimal,
    /// Mean spend to date of the customers with a paid order (today's
    /// figure, whatever the period).
    pub average_lifetime_value: Decimal,
    /// Today's customers per RFM segment, `NONE` for those without a paid
    /// order; every segment listed, in a fixed order.
    pub rfm_distribution: Vec<RfmSegmentCount>,
    /// The period the figures cover.
    pub period: Period,
}

/// Default period: the last 30 days.
const DEFAULT_DAYS: i64 = 30;

#[derive(Default)]
pub struct MetricsQuery;

#[Object]
impl MetricsQuery {
    /// The tenant's figures from `from` (default: 30 days before `to`) to
    /// `to` (default: now). Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The period's start (included); 30 days before `to` when absent. Must be before `to`."
        )]
        from: Option<DateTime>,
        #[graphql(desc = "The period's end (excluded); now when absent.")] to: Option<DateTime>,
        #[graphql(
            desc = "Only this location's customers (`loc_…`) and their orders; the whole tenant when absent. RFM scores keep the tenant's breakpoints."
        )]
        location_id: Option<ID>,
    ) -> Result<CustomerStats> {
        let session = ctx.session()?;
        let to = to.map_or_else(crate::db::now, |t| t.0);
        let from = from.map_or(to - chrono::Duration::days(DEFAULT_DAYS), |t| t.0);
        if from >= to {
            return Err(bad_input("from", "`from` must be before `to`").into());
        }
        let breakpoints = session
            .loaders
            .get::<BreakpointLoader>()
            .load_one(())
            .await?
            .unwrap_or_default();
        let tenant = match &location_id {
            Some(id) => {
                let key = ids::decode(ids::Kind::Location, id)
                    .ok_or_else(|| bad_input("locationId", "not a location ID (`loc_…`)"))?;
                session.tenant().narrowed_to(&key)
            }
            None => session.tenant().clone(),
        };
        let f = stats::figures(&session.db, &tenant, from, to, &breakpoints).await?;
        Ok(CustomerStats {
            total_customers: f.total_customers,
            new_customers: f.new_customers,
            active_customers: f.active_customers,
            total_orders: f.total_orders,
            revenue: Decimal(f.revenue_cents),
            average_order_value: average(f.revenue_cents, f.total_orders),
            average_lifetime_value: average(f.paying_spent_cents, f.paying_customers),
            rfm_distribution: RfmSegment::ALL
                .into_iter()
                .map(|segment| RfmSegmentCount {
                    segment,
                    count: f.rfm.get(&segment).copied().unwrap_or(0),
                })
                .collect(),
            period: Period {
                start: DateTime(from),
                end: DateTime(to),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Decimal, average};

    #[test]
    fn averages_round_half_up_to_the_cent() {
        assert_eq!(average(1000, 3), Decimal(333));
        assert_eq!(average(1001, 2), Decimal(501));
        assert_eq!(average(5, 0), Decimal(0));
    }
}
