//! Purchase rhythm and churn risk, as pure functions of a customer's paid
//! orders and the clock (`docs/api.md` §7 states the same formula).
//!
//! With `n` paid orders, the first at `first` and the last at `last`, and
//! `t` days since the last one:
//!
//! - expected interval `e = (days(last − first) + P) / n`, the customer's
//!   own mean interval shrunk toward a prior `P` = 30 days (with one order
//!   it is `P`; with many it approaches the customer's own rhythm);
//! - overdue ratio `x = t / e`;
//! - tolerance `w = 2 − 1/n`: a customer with an established rhythm is
//!   given more room before counting as lost;
//! - churn risk `x² / (x² + w²)`, in `[0, 1)`: 0 right after an order, ½
//!   when `x = w`, approaching 1 as the silence grows.

use chrono::{DateTime, Utc};

/// The prior expected interval between orders, in days.
pub const PRIOR_INTERVAL_DAYS: f64 = 30.0;

const SECONDS_PER_DAY: f64 = 86_400.0;

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1000.0 / SECONDS_PER_DAY
}

/// Mean days between paid orders; none below two orders.
pub fn purchase_frequency_days(
    orders: i64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
) -> Option<f64> {
    match (first, last) {
        (Some(first), Some(last)) if orders >= 2 => Some(days(first, last) / (orders - 1) as f64),
        _ => None,
    }
}

/// Churn risk in `[0, 1)`; none without a paid order.
pub fn churn_risk(
    orders: i64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<f64> {
    let (Some(first), Some(last)) = (first, last) else {
        return None;
    };
    if orders < 1 {
        return None;
    }
    let n = orders as f64;
    let expected = (days(first, last).max(0.0) + PRIOR_INTERVAL_DAYS) / n;
    let x = days(last, now).max(0.0) / expected;
    let w = 2.0 - 1.0 / n;
    Some(x * x / (x * x + w * w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days_ago: i64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(now - chrono::Duration::days(days_ago))
    }

    #[test]
    fn no_paid_order_no_risk() {
        let now = Utc::now();
        assert_eq!(churn_risk(0, None, None, now), None);
    }

    #[test]
    fn risk_grows_with_the_silence_and_stays_below_one() {
        let now = Utc::now();
        let mut previous = -1.0;
        for silence in [0, 1, 10, 30, 90, 365, 3650] {
            let risk = churn_risk(3, at(silence + 60, now), at(silence, now), now).unwrap_or(-1.0);
            assert!(
                risk > previous || (risk == 0.0 && previous < 0.0),
                "{silence}"
            );
            assert!((0.0..1.0).contains(&risk));
            previous = risk;
        }
    }

    #[test]
    fn an_established_rhythm_lowers_the_risk() {
        let now = Utc::now();
        // Both last ordered 40 days ago, both at a 30-day rhythm.
        let one = churn_risk(1, at(40, now), at(40, now), now).unwrap_or(1.0);
        let six = churn_risk(6, at(190, now), at(40, now), now).unwrap_or(1.0);
        assert!(six < one, "{six} < {one}");
    }

    #[test]
    fn purchase_frequency_is_the_mean_interval() {
        let now = Utc::now();
        assert_eq!(purchase_frequency_days(1, at(5, now), at(5, now)), None);
        let mean = purchase_frequency_days(3, at(40, now), at(10, now)).unwrap_or(0.0);
        assert!((mean - 15.0).abs() < 1e-9);
    }
}
