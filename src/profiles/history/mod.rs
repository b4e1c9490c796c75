//! Field history: every change a write makes to a customer's fields, with
//! the values before and after, the actor (the token's `sub`) and the
//! source (the API, an import, a merge or its undo, a bulk operation).
//! An erasure changes no field of a customer that stays: it removes the
//! values of every entry instead.
//!
//! A write computes the change once ([`diff`]); the timeline entry names
//! the fields it changed (`customers::events`), the history keeps their
//! values. Creating a customer adds no entries: the first change's
//! `oldValue` is the value it was created with. An erasure keeps the
//! entries and removes their values ([`repo::erase_values`]).

mod diff;
mod graphql;
mod loader;
pub mod repo;

pub use diff::{ChangedField, diff};
pub use graphql::{ChangeSource, FieldChange, FieldChangeConnection, customer_history};

use crate::graphql::Session;

/// Who makes a change, and through what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The token's `sub` (or the API key's), when a caller made it.
    pub sub: Option<String>,
    pub source: ChangeSource,
}

impl Actor {
    pub fn new(sub: impl Into<Option<String>>, source: ChangeSource) -> Self {
        Actor {
            sub: sub.into(),
            source,
        }
    }

    /// The request's caller, changing through `source`.
    pub fn of(session: &Session, source: ChangeSource) -> Self {
        Actor::new(session.viewer.sub.clone(), source)
    }
}
