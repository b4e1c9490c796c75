//! RFM scores: recency, frequency and monetary quintiles within the
//! tenant's paying customers (5 is best), and the segment they name.
//!
//! The tenant's paying customers are split into five near-equal groups by
//! each value (SQL `NTILE(5)`), and the largest value of each of the lower
//! four groups is kept as a breakpoint. A customer's score is 1 plus the
//! number of breakpoints its value exceeds, so reading a score never scans
//! the tenant.
//!
//! How the breakpoints are kept current is in [`super::breakpoints`].

use chrono::Utc;
use entity::{customer, rfm_breakpoints};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func, SimpleExpr};

pub use crate::profiles::metrics::RfmSegment;

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

impl RfmSegment {
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
