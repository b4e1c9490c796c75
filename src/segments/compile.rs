//! What a segment's condition is compiled against ([`Env`]: the
//! backend, the tenant, the clock, the RFM breakpoints and the custom
//! fields), the two metrics in SQL that filters name (churn-risk
//! thresholds and the RFM segment, by the formulas of
//! [`crate::analytics`], with the clock and the tenant's breakpoints
//! bound), and a static segment's condition. Rules and filters alike
//! compile through [`crate::profiles::CustomerFilter::compile`] (rules read
//! as filters by [`super::rule_filter`]).

use chrono::Utc;
use entity::{customer, segment_member};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func};
use sea_orm::{Condition, DbBackend};

use super::rule::{Field, Rule};
use crate::analytics::RfmSegment;
use crate::analytics::churn::PRIOR_INTERVAL_DAYS;
use crate::analytics::rfm::{Breakpoints, Scores, score_expr};
use crate::profiles::fields::Fields;
use crate::profiles::metrics::Metrics;
use crate::tenancy::{self, TenantId};

type Time = chrono::DateTime<Utc>;

/// What segments are evaluated against: the backend's dialect, the tenant,
/// the clock and (for `rfm_segment`) the tenant's breakpoints.
pub struct Env {
    pub backend: DbBackend,
    pub tenant: TenantId,
    pub now: Time,
    pub breakpoints: Breakpoints,
    /// The tenant's custom field definitions, when a segment's filter
    /// names one.
    pub fields: Fields,
}

/// How a segment's rules combine.
pub use entity::segment::MatchMode as Match;

/// The metrics of a [`crate::profiles::CustomerFilter`], by the formulas
/// rules use.
impl Metrics for Env {
    fn rfm_segment_in(&self, wanted: &[RfmSegment]) -> Expr {
        rfm_in(wanted.iter().copied(), self)
    }

    fn churn_risk_above(&self, threshold: f64) -> Expr {
        churn_beyond(self, threshold, Side::Above)
    }

    fn churn_risk_below(&self, threshold: f64) -> Expr {
        churn_beyond(self, threshold, Side::Below)
    }
}

/// True when a rule needs the tenant's RFM breakpoints.
pub fn needs_breakpoints<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> bool {
    rules.into_iter().any(|r| r.field == Field::RfmSegment)
}

/// The condition of a static segment: listed in `segment_members`.
pub fn listed(tenant: &TenantId, segment_key: &str) -> Condition {
    use segment_member::Column as M;
    let ids = tenancy::subquery::<segment_member::Entity>(tenant)
        .column((segment_member::Entity, M::CustomerId))
        .and_where(Expr::col((segment_member::Entity, M::SegmentId)).eq(segment_key))
        .to_owned();
    Condition::all().add(column(customer::Column::Id).in_subquery(ids))
}

fn column(c: customer::Column) -> Expr {
    Expr::col((customer::Entity, c))
}

fn any_of(tests: impl IntoIterator<Item = Expr>) -> Expr {
    let mut tests = tests.into_iter();
    let first = tests.next().unwrap_or_else(|| Expr::val(false));
    tests.fold(first, |acc, t| acc.or(t))
}

/// Days since the Unix epoch of a timestamp column, as a float.
fn epoch_days(c: customer::Column, backend: DbBackend) -> Expr {
    if backend == DbBackend::Postgres {
        Expr::from(Func::cust("date_part").arg("epoch").arg(column(c))).div(86_400.0)
    } else {
        // julianday counts from 4714 BC; the Unix epoch is day 2440587.5.
        Expr::from(Func::cust("julianday").arg(column(c))).sub(2_440_587.5)
    }
}

/// `e`, or 0 where it is negative.
fn non_negative(e: Expr) -> Expr {
    Func::greatest([e, Expr::val(0.0)]).into()
}

/// Which side of a churn-risk threshold a filter keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Above,
    Below,
}

/// The paying customers whose churn risk
/// ([`crate::analytics::churn::churn_risk`]) is above or below `threshold`,
/// tested without computing the risk: with `x = t·n / (span + P)` and
/// `w = 2 − 1/n`, the risk `x² / (x² + w²)` is above `c` exactly when
/// `x > k·w` for `k = √(c / (1 − c))`, that is when
/// `t·n² > k·(2n − 1)·(span + P)`. The same test in a few operations a
/// row, and one the oldest last orders meet first.
fn churn_beyond(env: &Env, threshold: f64, side: Side) -> Expr {
    use customer::Column as C;
    let paying = column(C::TotalOrders)
        .gt(0)
        .and(column(C::FirstOrderAt).is_not_null())
        .and(column(C::LastOrderAt).is_not_null());
    // The risk is in [0, 1): none is above 1 or below 0, all are below 1.
    let k = match side {
        Side::Above if threshold >= 1.0 => return Expr::val(false),
        Side::Below if threshold <= 0.0 => return Expr::val(false),
        Side::Below if threshold >= 1.0 => return paying,
        _ => (threshold.max(0.0) / (1.0 - threshold)).sqrt(),
    };
    let now_days = env.now.timestamp_micros() as f64 / 86_400e6;
    let last = epoch_days(C::LastOrderAt, env.backend);
    let first = epoch_days(C::FirstOrderAt, env.backend);
    let n: Expr = Func::cast_as(column(C::TotalOrders), Alias::new("DOUBLE PRECISION")).into();
    let silence = non_negative(Expr::val(now_days).sub(last.clone()));
    let span = non_negative(last.sub(first));
    let overdue = silence.mul(n.clone()).mul(n.clone());
    let allowed = Expr::val(k)
        .mul(n.mul(2.0).sub(1.0))
        .mul(span.add(PRIOR_INTERVAL_DAYS));
    paying.and(match side {
        Side::Above => overdue.gt(allowed),
        Side::Below => overdue.lt(allowed),
    })
}

/// The customers whose RFM segment is one of `wanted`: the segment is a
/// function of the recency score and `⌈(F + M) / 2⌉`, so the wanted
/// segments are a set of `R·10 + FM` codes, matched in SQL.
fn rfm_in(wanted: impl IntoIterator<Item = RfmSegment>, env: &Env) -> Expr {
    use customer::Column as C;
    let wanted: Vec<RfmSegment> = wanted.into_iter().collect();
    let mut codes: Vec<i64> = Vec::new();
    for r in 1..=5u8 {
        for f in 1..=5u8 {
            for m in 1..=5u8 {
                let scores = Scores {
                    recency: r,
                    frequency: f,
                    monetary: m,
                };
                let code = i64::from(r) * 10 + i64::from((f + m).div_ceil(2));
                if wanted.contains(&RfmSegment::of(scores)) && !codes.contains(&code) {
                    codes.push(code);
                }
            }
        }
    }
    let bp = &env.breakpoints;
    let paying = column(C::TotalOrders)
        .gt(0)
        .and(column(C::LastOrderAt).is_not_null());
    let mut tests = Vec::new();
    let recencies = codes.iter().map(|code| (code / 10) as u8);
    if let (Some(low), Some(high)) = (recencies.clone().min(), recencies.max()) {
        // Each recency score is a range of `last_order_at`: the codes of one
        // score test only `⌈(F + M) / 2⌉` within it, and all of them lie
        // within the range of the lowest to the highest score.
        let fm = || {
            let f = score_expr(C::TotalOrders, &bp.frequency);
            let m = score_expr(C::TotalSpentCents, &bp.monetary);
            f.add(m).add(1).div(2)
        };
        let by_recency = (low..=high).filter_map(|r| {
            let fms: Vec<i64> = codes
                .iter()
                .filter(|code| *code / 10 == i64::from(r))
                .map(|code| code % 10)
                .collect();
            (!fms.is_empty()).then(|| recency_between(r, r, &bp.recency).and(fm().is_in(fms)))
        });
        let recent = recency_between(low, high, &bp.recency);
        tests.push(paying.clone().and(recent).and(any_of(by_recency)));
    }
    if wanted.contains(&RfmSegment::None) {
        tests.push(paying.not());
    }
    any_of(tests)
}

/// The last orders whose recency score is from `low` to `high`, as a range
/// of `last_order_at` an index reads (the score alone is computed a row at
/// a time). A score is 1 plus the number of breakpoints a value exceeds,
/// so it is at least `r` past the `(r − 1)`th smallest breakpoint and at
/// most `r` up to the `r`th.
fn recency_between(low: u8, high: u8, breakpoints: &[Option<Time>; 4]) -> Expr {
    let mut sorted: Vec<Time> = breakpoints.iter().flatten().copied().collect();
    sorted.sort();
    let last = || column(customer::Column::LastOrderAt);
    let mut range = last().is_not_null();
    if low >= 2 {
        match sorted.get(usize::from(low) - 2) {
            Some(after) => range = range.and(last().gt(*after)),
            None => return Expr::val(false),
        }
    }
    if let Some(until) = sorted.get(usize::from(high) - 1) {
        range = range.and(last().lte(*until));
    }
    range
}
