//! Live events: what a change did, published once it is committed, to the
//! subscribers of every server instance.
//!
//! - Writes record what they did ([`record`]) while a request runs; the
//!   request's handler publishes the recorded events when the request is
//!   done, so nothing is published before its transaction commits. A
//!   subscriber reads the row an event names, in its own tenant, before
//!   delivering it: an event of a rolled-back write finds nothing and is
//!   dropped.
//! - [`EventBus`] is the one seam: [`local::LocalBus`] is an in-process
//!   broadcast (SQLite, one instance); [`postgres::PgBus`] sends events with
//!   `NOTIFY` and hears every instance's with `LISTEN`.
//! - Each subscriber has a bounded buffer ([`BUFFER`] events): one that
//!   falls behind loses its oldest events and is told how many.

mod graphql;
pub mod local;
pub mod postgres;

pub use graphql::{CustomerChange, EventSubscription};

use std::cell::RefCell;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Events a subscriber may fall behind by before the oldest are dropped.
pub const BUFFER: usize = 1024;

/// One committed change, as small as a `NOTIFY` payload should be: keys,
/// never customer data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "t")]
    pub tenant: String,
    /// The customer's row key.
    #[serde(rename = "c")]
    pub customer: String,
    #[serde(rename = "e")]
    pub change: Change,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k")]
pub enum Change {
    /// A timeline entry was added (its row key).
    Activity { id: String },
    /// The customer was created, updated, merged into or deleted; `fields`
    /// names what an update changed; `entry` is the timeline entry that
    /// records the change (none for a delete).
    Customer {
        action: String,
        fields: Vec<String>,
        entry: Option<String>,
    },
}

/// Where events go and where subscribers hear them.
pub trait EventBus: Send + Sync {
    /// Sends committed events to every instance's subscribers.
    fn publish(&self, events: Vec<Event>) -> BoxFuture<'_, ()>;
    /// A new subscriber, hearing events published from now on.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>>;
}

tokio::task_local! {
    static RECORDED: RefCell<Vec<Event>>;
}

/// Notes an event of the running request; outside a request (the CLI, the
/// demo seeder) there is no one to tell, and nothing is kept.
pub fn record(event: Event) {
    let _ = RECORDED.try_with(|events| events.borrow_mut().push(event));
}

/// Notes that a customer was deleted (deletes leave no timeline entry).
pub fn customer_deleted(tenant: &crate::tenancy::TenantId, customer: &str) {
    record(Event {
        tenant: tenant.as_str().to_owned(),
        customer: customer.to_owned(),
        change: Change::Customer {
            action: "deleted".to_owned(),
            fields: Vec::new(),
            entry: None,
        },
    });
}

/// Runs a request, returning its output and the events its writes recorded.
pub async fn recording<F: Future>(request: F) -> (F::Output, Vec<Event>) {
    RECORDED
        .scope(RefCell::new(Vec::new()), async move {
            let output = request.await;
            let events = RECORDED.with(|events| events.take());
            (output, events)
        })
        .await
}
