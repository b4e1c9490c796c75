//! Live events: what a change did, published once it is committed, to the
//! subscribers of every server instance.
//!
//! - Writes record what they did ([`record`]), each after its transaction
//!   commits; the request or job they run in publishes what was recorded
//!   when it ends ([`publishing`], the one way events are published). A
//!   subscriber reads the row an event names, in its own tenant, before
//!   delivering it: an event of a rolled-back write finds nothing and is
//!   dropped.
//! - [`EventBus`] is the one seam: [`local::LocalBus`] is an in-process
//!   broadcast (SQLite, one instance); [`postgres::PgBus`] sends events with
//!   `NOTIFY` and hears every instance's with `LISTEN`.
//! - Each subscriber has a bounded buffer (`CRM_SUBSCRIPTION_BUFFER`
//!   events): one that falls behind loses its oldest events and is told
//!   how many.

pub mod local;
pub mod postgres;

use std::cell::RefCell;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast};

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
    /// A timeline entry was added (its row key); a `CUSTOMER` entry also
    /// records a change to the customer.
    Activity {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer: Option<CustomerRecord>,
    },
    /// The customer was deleted (no timeline entry survives it).
    Deleted,
    /// A data request about the customer was created or changed status
    /// (its row key and new status).
    DataRequest { id: String, status: String },
    /// The customer entered (or left) a dynamic segment (its row key).
    SegmentMembership { segment: String, entered: bool },
    /// A bulk operation was started or moved on (its row key and status).
    /// Names no customer (`customer` is empty).
    BulkOperation { id: String, status: String },
    /// An API key of the tenant was revoked: every instance forgets the
    /// keys it has cached. Names no customer (`customer` is empty).
    ApiKeyRevoked,
    /// This instance stopped hearing events for a while (its `LISTEN`
    /// connection was lost): events of any tenant may have been missed.
    /// Never sent between instances.
    Interrupted,
}

/// What a `CUSTOMER` timeline entry records: `created`, `updated` (with the
/// API names of the changed fields) or `merged`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRecord {
    pub action: String,
    pub fields: Vec<String>,
}

/// An event as this instance's subscribers hear it, with the rows it
/// names loaded at most once, by the first subscriber that needs them (the
/// others of the same tenant share them).
pub struct Heard {
    pub event: Event,
    pub activity: OnceCell<Option<entity::activity::Model>>,
    pub customer: OnceCell<Option<entity::customer::Model>>,
    pub data_request: OnceCell<Option<entity::data_request::Model>>,
}

impl Heard {
    pub fn new(event: Event) -> Self {
        Heard {
            event,
            activity: OnceCell::new(),
            customer: OnceCell::new(),
            data_request: OnceCell::new(),
        }
    }
}

/// Where events go and where subscribers hear them.
pub trait EventBus: Send + Sync {
    /// Sends committed events to every instance's subscribers.
    fn publish(&self, events: Vec<Event>) -> BoxFuture<'_, ()>;
    /// A new subscriber, hearing events published from now on.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Heard>>;
    /// The same events for the server's own machinery (the API key cache
    /// hearing revocations), not counted among [`EventBus::listeners`].
    fn watch(&self) -> broadcast::Receiver<Arc<Heard>>;
    /// How many subscribers hear this instance's events now (sockets
    /// running the same subscription share one).
    fn listeners(&self) -> usize;
}

/// The events a running request or job has recorded, and where they go.
struct Recorder {
    bus: Arc<dyn EventBus>,
    events: RefCell<Vec<Event>>,
}

tokio::task_local! {
    static RECORDED: Recorder;
}

/// Notes an event of the running request or job; outside one (the CLI,
/// the demo seeder) there is no one to tell, and nothing is kept.
pub fn record(event: Event) {
    let _ = RECORDED.try_with(|recorder| recorder.events.borrow_mut().push(event));
}

/// Notes that a customer was deleted (deletes leave no timeline entry).
pub fn customer_deleted(tenant: &crate::tenancy::TenantId, customer: &str) {
    record(Event {
        tenant: tenant.as_str().to_owned(),
        customer: customer.to_owned(),
        change: Change::Deleted,
    });
}

/// Notes that a bulk operation started or moved on.
pub fn bulk_operation(tenant: &crate::tenancy::TenantId, id: &str, status: &str) {
    record(Event {
        tenant: tenant.as_str().to_owned(),
        customer: String::new(),
        change: Change::BulkOperation {
            id: id.to_owned(),
            status: status.to_owned(),
        },
    });
}

/// Notes that one of the tenant's API keys was revoked.
pub fn api_key_revoked(tenant: &crate::tenancy::TenantId) {
    record(Event {
        tenant: tenant.as_str().to_owned(),
        customer: String::new(),
        change: Change::ApiKeyRevoked,
    });
}

/// Runs a request or a job, then publishes on `bus` the events its writes
/// recorded (each recorded after its transaction committed). Returns the
/// output and how many events were published. The one way events are
/// published.
pub async fn publishing<F: Future>(bus: &Arc<dyn EventBus>, work: F) -> (F::Output, usize) {
    let recorder = Recorder {
        bus: bus.clone(),
        events: RefCell::default(),
    };
    let (output, events) = RECORDED
        .scope(recorder, async move {
            let output = work.await;
            (output, RECORDED.with(|recorder| recorder.events.take()))
        })
        .await;
    let published = events.len();
    if published > 0 {
        bus.publish(events).await;
    }
    (output, published)
}

/// Publishes what the running job has recorded so far, for a step that
/// others should see before the job ends (a request taken up).
pub async fn flush() {
    let Ok((bus, events)) =
        RECORDED.try_with(|recorder| (recorder.bus.clone(), recorder.events.take()))
    else {
        return;
    };
    if !events.is_empty() {
        bus.publish(events).await;
    }
}
