//! Companies: the organisations a tenant's customers belong to (at most
//! one each), with their customers, order totals and lookup by domain.
//!
//! Invariants:
//! - a domain is stored lower-case without scheme, `www.` or path, and is
//!   unique in the tenant;
//! - a customer with a company has the company's name as `companyName`:
//!   linking fills it, renaming the company rewrites it; deleting the
//!   company unlinks its customers and leaves the name they had.

pub mod graphql;
pub mod input;
pub mod link;
pub mod loader;
mod object;
pub mod repo;

pub use graphql::{CompanyMutation, CompanyQuery};
pub use object::{Company, PostalAddress};
