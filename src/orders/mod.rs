//! Orders: what customers bought.
//!
//! Invariants:
//! - `externalId` is unique per tenant; recording it again updates that
//!   order (it stays with the customer it was first recorded for);
//! - a customer's `total_orders`, `total_spent_cents`, `first_order_at` and
//!   `last_order_at` are recomputed from its `PAID` orders in the
//!   transaction of every change to them, so they never drift;
//! - deleting a customer detaches its orders (`customer_id` NULL) instead of
//!   deleting them, so revenue statistics stay right;
//! - an order is at most [`MAX_ORDER_CENTS`] and a customer's paid orders
//!   add up to at most [`MAX_PAID_CENTS`], so a customer's sum always fits
//!   its 64-bit column (the tenant's sums are taken in 128 bits).

mod graphql;
pub mod loader;
mod ready;
mod record;
pub mod repo;

/// The largest order amount, in cents: 1,000,000,000,000.00.
pub const MAX_ORDER_CENTS: i64 = 100_000_000_000_000;
/// The most a customer's paid orders may add up to, in cents:
/// 100,000,000,000,000.00.
pub const MAX_PAID_CENTS: i64 = 10_000_000_000_000_000;

pub use graphql::{
    Order, OrderConnection, OrderMutation, OrderStatus, customer_orders, orders_of_customers,
};
