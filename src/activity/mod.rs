//! The activity timeline: what happened with a customer, newest first.
//!
//! Entries come from `recordActivity`, and from the API itself: creating or
//! changing a customer adds a `CUSTOMER` entry, an order an `ORDER` entry,
//! a note a `NOTE` entry, each in the transaction of the change. Entries
//! hold no copy of a note's text or an order's details beyond what the
//! title and `data` say, and go with their customer when it is deleted.

mod graphql;
pub mod loader;
pub mod repo;
mod subscription;

pub use graphql::{
    Activity, ActivityConnection, ActivityMutation, ActivityType, customer_activity,
};
pub use repo::NewActivity;
pub use subscription::{ActivitySubscription, entry};
