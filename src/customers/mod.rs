//! Customers: profiles with tags, an address and custom fields.
//!
//! Invariants:
//! - email is unique per tenant, case-insensitively (stored lower-cased);
//!   phone is unique per tenant, stored in E.164;
//! - a customer always has at least one of name, first name, last name,
//!   email or phone;
//! - `sort_name` and `search_text` are derived from the profile on every
//!   write (`Profile::derive`), never set directly;
//! - tags are trimmed, 1–64 characters, at most 100 per customer.

pub mod counts;
pub mod csv;
mod events;
mod filter;
mod graphql;
pub mod import;
pub mod input;
pub mod loader;
mod merge;
pub mod repo;
mod subscription;
mod tagging;
mod upsert;

pub use filter::{CustomerFilter, CustomerSort, CustomerSortField};
pub use graphql::{
    Customer, CustomerConnection, CustomerMutation, CustomerQuery, customer_connection,
};
pub use subscription::CustomerSubscription;
