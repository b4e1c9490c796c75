//! What a customer's orders say about them: totals, average order value,
//! purchase rhythm, churn risk and RFM scores, and the tenant's statistics.
//!
//! Totals live on the customer row and change in the transaction of the
//! order that changes them. Churn risk and RFM scores are computed when
//! read, from those totals, the clock and the tenant's RFM breakpoints
//! (see [`breakpoints`] for how those are kept current).

pub mod breakpoints;
pub mod churn;
mod graphql;
pub mod rfm;
mod stats;

pub use breakpoints::BreakpointLoader;
pub use graphql::{CustomerMetrics, CustomerStats, MetricsQuery, customer_metrics};
pub use rfm::RfmSegment;
