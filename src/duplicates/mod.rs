//! The duplicate finder: pairs of a tenant's customers likely to be one
//! person, scored 0–1 with the reasons, kept current as customers change,
//! and dismissed for good when a user says they are not.
//!
//! No pair of a million customers is compared blindly: each customer is
//! filed under its blocking keys ([`likeness::blocking_keys`]: every
//! normalised email, every phone, the canonical name, the sound of the
//! name) and only customers sharing a key are scored. A key shared by more
//! than [`find::BLOCK_LIMIT`] customers (a very common name) compares none
//! of them by that key: such a name alone says nothing.
//!
//! A write that changes a customer calls [`refresh`] in its transaction;
//! an import marks the customers it wrote ([`queue::mark`]) and the job
//! worker files them in batches ([`Refreshes`]); [`rebuild`] files a
//! whole tenant from scratch (`crm find-duplicates`).

mod find;
mod graphql;
pub mod likeness;
mod person;
pub mod queue;
mod repo;

pub use find::{rebuild, refresh};
pub use graphql::{Duplicate, DuplicateConnection, DuplicateMutation, DuplicateQuery};
pub use queue::Refreshes;
pub use repo::{dismissals_with, restore_dismissals};
