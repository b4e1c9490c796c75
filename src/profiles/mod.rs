//! Customer profiles: the record itself (a person or company with tags,
//! an address and custom fields), its validation, filters, search, counts
//! and loaders. The features above join it: the `Customer` object's own
//! fields and its edges to orders, notes, the timeline, metrics and
//! segments are resolved in `customers`, which also holds the writes.
//!
//! Invariants:
//! - email is unique per tenant, case-insensitively (an `Email` is
//!   lower-cased); phone is unique per tenant (a `Phone` is E.164);
//! - a customer always has at least one of name, first name, last name,
//!   email or phone;
//! - `sort_name` and `search_text` are derived from the profile on every
//!   write (`row::derive`), never set directly;
//! - tags are trimmed, 1–64 characters, at most 100 per customer.

pub mod additional;
pub mod addresses;
pub mod checks;
pub mod consent;
pub mod contact;
pub mod counts;
pub mod fields;
mod filter;
mod filter_given;
mod filter_metrics;
pub mod filter_text;
mod filter_tree;
pub mod history;
pub mod input;
pub mod json_path;
mod listing;
pub mod loader;
pub mod merges;
mod metadata_filter;
pub mod metrics;
mod numbered;
pub mod patch;
pub mod query;
pub mod rechecks;
pub mod repo;
pub mod row;
mod sort;

pub use filter::{CustomerFilter, FilterEnv, TreeLimits};
pub use listing::{
    CustomerConnection, ListedRow, Scope, count_limit, customer_connection, customer_count,
    customer_count_up_to, customer_rows,
};
pub use numbered::{CustomerPage, customer_page};
pub use sort::{CustomerSort, CustomerSortField, SortDirection};

use entity::customer;

/// A person or company the tenant does business with.
#[derive(Clone)]
pub struct Customer {
    pub row: customer::Model,
    /// The tags, when they were read with the row.
    pub tags: Option<Vec<String>>,
    /// In a merge's preview, the kept customer's default address that the
    /// merge would make one of its other addresses (none is saved yet).
    pub demoted_address: Option<addresses::CustomerAddress>,
}

impl From<customer::Model> for Customer {
    fn from(row: customer::Model) -> Self {
        Customer {
            row,
            tags: None,
            demoted_address: None,
        }
    }
}

impl Customer {
    /// A row read with its tags (alphabetically).
    pub fn with_tags(row: customer::Model, tags: Vec<String>) -> Self {
        Customer {
            row,
            tags: Some(tags),
            demoted_address: None,
        }
    }
}
