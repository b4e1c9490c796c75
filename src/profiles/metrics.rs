//! A customer's derived metrics as filters see them: the RFM segment
//! names, and [`Metrics`], the SQL of the metrics that the analytics
//! layer above this one computes (RFM scores need the tenant's
//! breakpoints, churn risk the clock), handed to a filter when it is
//! compiled.

use async_graphql::Enum;
use sea_orm::sea_query::Expr;

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

    /// The name of an RFM segment as rules and the API spell it.
    pub fn name(self) -> &'static str {
        match self {
            RfmSegment::Champions => "CHAMPIONS",
            RfmSegment::Loyal => "LOYAL",
            RfmSegment::PotentialLoyalist => "POTENTIAL_LOYALIST",
            RfmSegment::NewCustomers => "NEW_CUSTOMERS",
            RfmSegment::Promising => "PROMISING",
            RfmSegment::NeedAttention => "NEED_ATTENTION",
            RfmSegment::AboutToSleep => "ABOUT_TO_SLEEP",
            RfmSegment::AtRisk => "AT_RISK",
            RfmSegment::CannotLose => "CANNOT_LOSE",
            RfmSegment::Hibernating => "HIBERNATING",
            RfmSegment::Lost => "LOST",
            RfmSegment::None => "NONE",
        }
    }

    /// The segment a name spells, in any case.
    pub fn named(name: &str) -> Option<RfmSegment> {
        RfmSegment::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

/// The derived metrics in SQL, over `customers`.
pub trait Metrics: Send + Sync {
    /// True for the customers whose RFM segment is one of `wanted`.
    fn rfm_segment_in(&self, wanted: &[RfmSegment]) -> Expr;
    /// True for the customers with a paid order whose churn risk is above
    /// `threshold` (0–1).
    fn churn_risk_above(&self, threshold: f64) -> Expr;
    /// True for the customers with a paid order whose churn risk is below
    /// `threshold` (0–1).
    fn churn_risk_below(&self, threshold: f64) -> Expr;
}

/// `total` cents over `n`, in whole cents rounded half up: `(2 · total +
/// n) / (2 · n)`, whose integer division truncates toward zero here and
/// on both databases alike ([`average_order_cents_sql`]); none for no `n`.
/// Every average order value the API shows is this.
pub fn rounded_average(total_cents: i128, n: i64) -> Option<i128> {
    let n = i128::from(n);
    (n > 0).then(|| (2 * total_cents + n) / (2 * n))
}

/// A customer's average paid order in whole cents, as `averageOrderValue`
/// shows it ([`rounded_average`]); none without a paid order.
pub fn average_order_cents(spent_cents: i64, orders: i64) -> Option<i64> {
    rounded_average(i128::from(spent_cents), orders)
        .map(|cents| i64::try_from(cents).unwrap_or(i64::MAX))
}

/// [`average_order_cents`] in SQL over `customers`: NULL without a paid
/// order. Sorts and filters by it, so that both agree with what is shown.
pub fn average_order_cents_sql() -> Expr {
    use entity::customer::{Column as C, Entity};
    use sea_orm::sea_query::ExprTrait as _;
    let col = |c: C| Expr::col((Entity, c));
    Expr::case(
        col(C::TotalOrders).gt(0),
        col(C::TotalSpentCents)
            .mul(2)
            .add(col(C::TotalOrders))
            .div(col(C::TotalOrders).mul(2)),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_rounds_half_up_to_the_cent() {
        assert_eq!(average_order_cents(14_841, 2), Some(7_421));
        assert_eq!(average_order_cents(1_000, 3), Some(333));
        assert_eq!(average_order_cents(1_001, 2), Some(501));
        assert_eq!(average_order_cents(500, 0), None);
    }
}
