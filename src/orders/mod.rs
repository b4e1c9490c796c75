//! Orders: what customers bought.
//!
//! Invariants:
//! - `externalId` is unique per tenant; recording it again updates that
//!   order (it stays with the customer it was first recorded for);
//! - a customer's `total_orders`, `total_spent_cents`, `first_order_at` and
//!   `last_order_at` are recomputed from its `PAID` orders in the
//!   transaction of every change to them, so they never drift;
//! - deleting a customer detaches its orders (`customer_id` NULL) instead of
//!   deleting them, so revenue statistics stay right.

mod graphql;
pub mod loader;
mod record;
pub mod repo;

pub use graphql::{Order, OrderConnection, OrderMutation, OrderStatus, customer_orders};
