//! The filter's conditions on what a customer's orders say: order count,
//! total spent, average order value, RFM segment and churn risk.

use entity::customer;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait as _, Condition};

use super::filter::{CustomerFilter, FilterEnv};
use super::metrics::average_order_cents_sql;
use crate::error::{AppError, AppResult, bad_input};

/// The largest average order value a filter compares with, in cents: its
/// product with any order count fits in 64 bits.
const MAX_AVERAGE_CENTS: i64 = 100_000_000_000;

impl CustomerFilter {
    /// The metric conditions of this filter (not of its branches).
    pub(super) fn metric_conditions(&self, path: &str, env: &FilterEnv) -> AppResult<Condition> {
        use customer::Column as C;
        let mut cond = Condition::all();
        for (field, bound) in [
            ("minOrders", self.min_orders),
            ("maxOrders", self.max_orders),
        ] {
            if bound.is_some_and(|n| n < 0) {
                return Err(bad_input(format!("{path}.{field}"), "at least 0"));
            }
        }
        if let Some(n) = self.min_orders {
            cond = cond.add(C::TotalOrders.gte(n));
        }
        if let Some(n) = self.max_orders {
            cond = cond.add(C::TotalOrders.lte(n));
        }
        if let Some(amount) = self.min_total_spent {
            cond = cond.add(C::TotalSpentCents.gte(amount.cents()));
        }
        if let Some(amount) = self.max_total_spent {
            cond = cond.add(C::TotalSpentCents.lte(amount.cents()));
        }
        for (field, bound) in [
            ("minAverageOrderValue", self.min_average_order_value),
            ("maxAverageOrderValue", self.max_average_order_value),
        ] {
            if bound.is_some_and(|x| x.cents().abs() > MAX_AVERAGE_CENTS) {
                return Err(bad_input(
                    format!("{path}.{field}"),
                    "between -1,000,000,000 and 1,000,000,000",
                ));
            }
        }
        // The average as shown (whole cents, rounded half up), so that a
        // customer shown at 74.21 is found by 74.21.
        if let Some(amount) = self.min_average_order_value {
            cond = cond
                .add(C::TotalOrders.gt(0))
                .add(average_order_cents_sql().gte(amount.cents()));
        }
        if let Some(amount) = self.max_average_order_value {
            cond = cond
                .add(C::TotalOrders.gt(0))
                .add(average_order_cents_sql().lte(amount.cents()));
        }
        let metrics = || {
            env.metrics.ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("a metric filter compiled without metrics"))
            })
        };
        if let Some(wanted) = &self.rfm_segment {
            cond = cond.add(if wanted.is_empty() {
                Expr::val(false)
            } else {
                metrics()?.rfm_segment_in(wanted)
            });
        }
        for (field, bound) in [
            ("churnRiskAbove", self.churn_risk_above),
            ("churnRiskBelow", self.churn_risk_below),
        ] {
            if bound.is_some_and(|x| !(0.0..=1.0).contains(&x)) {
                return Err(bad_input(format!("{path}.{field}"), "between 0 and 1"));
            }
        }
        if let Some(x) = self.churn_risk_above {
            cond = cond.add(metrics()?.churn_risk_above(x));
        }
        if let Some(x) = self.churn_risk_below {
            cond = cond.add(metrics()?.churn_risk_below(x));
        }
        Ok(cond)
    }
}
