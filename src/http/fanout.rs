//! Subscriptions shared among sockets. Sockets that run the same operation
//! with the same variables for the same viewer (tenant, `sub`, scopes) get
//! the same results, so the operation runs once per instance and each
//! result is serialized once; every socket then writes those bytes under
//! its own operation id. A group ends when its operation ends, or when its
//! last socket has left.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::Request;
use futures_util::StreamExt as _;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use super::errors::normalize_errors;
use crate::auth::{ScopeSet, Viewer};
use crate::error::code;
use crate::events::EventBus;
use crate::graphql::Session;
use crate::schema::AppSchema;

/// One result of a shared operation, its JSON serialized once.
pub enum Frame {
    /// The payload of a `next` message.
    Next(String),
    /// The payload of an `error` message: the operation was refused.
    Refused(String),
    /// The operation ended.
    End,
}

/// What makes two subscriptions the same.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    tenant: String,
    /// The location a confined viewer's subscription is kept to.
    location: Option<String>,
    sub: String,
    scopes: ScopeSet,
    query: String,
    operation: Option<String>,
    variables: String,
}

type Frames = broadcast::Sender<Arc<Frame>>;

pub struct Fanout {
    groups: Mutex<HashMap<Key, Frames>>,
    buffer: usize,
    /// What a group runs its operation with.
    db: DatabaseConnection,
    bus: Arc<dyn EventBus>,
    schema: AppSchema,
}

/// How often an idle group checks that it still has sockets.
const IDLE_CHECK: Duration = Duration::from_secs(30);

impl Fanout {
    /// Groups running their operations on `schema`, whose sockets may
    /// each fall `buffer` results behind.
    pub fn new(
        buffer: usize,
        db: DatabaseConnection,
        bus: Arc<dyn EventBus>,
        schema: AppSchema,
    ) -> Self {
        Fanout {
            groups: Mutex::new(HashMap::new()),
            buffer: buffer.max(1),
            db,
            bus,
            schema,
        }
    }

    /// The results of `request` for `viewer`, from the group already
    /// running it or from a new one.
    pub fn join(
        self: &Arc<Self>,
        viewer: &Viewer,
        request: Request,
    ) -> broadcast::Receiver<Arc<Frame>> {
        let key = Key {
            tenant: viewer.tenant.as_str().to_owned(),
            location: viewer.location().map(str::to_owned),
            sub: viewer.sub.clone(),
            scopes: viewer.scopes,
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).unwrap_or_default(),
        };
        let mut groups = self.lock();
        if let Some(frames) = groups.get(&key) {
            return frames.subscribe();
        }
        let (frames, receiver) = broadcast::channel(self.buffer);
        groups.insert(key.clone(), frames.clone());
        drop(groups);
        tokio::spawn(produce(self.clone(), key, frames, viewer.clone(), request));
        receiver
    }

    /// Subscriptions open on this instance's sockets.
    pub fn subscribers(&self) -> usize {
        self.lock().values().map(|f| f.receiver_count()).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Frames>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends a group: under the lock, so a socket either joined it before
    /// (and hears what is sent next) or starts a new one.
    fn leave(&self, key: &Key) {
        self.lock().remove(key);
    }

    /// Ends a group that no socket listens to any more.
    fn leave_if_idle(&self, key: &Key, frames: &Frames) -> bool {
        let mut groups = self.lock();
        let idle = frames.receiver_count() == 0;
        if idle {
            groups.remove(key);
        }
        idle
    }
}

/// Whether a first response refuses the operation: client errors and no
/// data (validation, a missing scope, an unknown id), not a notice.
fn refused(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| {
            let extensions = e.extensions.as_ref();
            let client = matches!(
                extensions.and_then(|x| x.get("code")),
                Some(async_graphql::Value::String(c))
                    if [code::BAD_USER_INPUT, code::FORBIDDEN, code::NOT_FOUND, code::UNAUTHENTICATED]
                        .contains(&c.as_str())
            );
            client && extensions.is_none_or(|x| x.get("dropped").is_none())
        })
}

async fn produce(fanout: Arc<Fanout>, key: Key, frames: Frames, viewer: Viewer, request: Request) {
    let session = Session::new(fanout.db.clone(), viewer);
    let request = request.data(session).data(fanout.bus.clone());
    let mut responses = fanout.schema.execute_stream(request);
    let mut idle_check = tokio::time::interval(IDLE_CHECK);
    idle_check.tick().await;
    let mut first = true;
    loop {
        let response = tokio::select! {
            response = responses.next() => response,
            _ = idle_check.tick() => {
                if fanout.leave_if_idle(&key, &frames) {
                    return;
                }
                continue;
            }
        };
        let Some(mut response) = response else { break };
        normalize_errors(&mut response);
        if first && refused(&response) {
            fanout.leave(&key);
            let errors = serde_json::to_string(&response.errors).unwrap_or_default();
            let _ = frames.send(Arc::new(Frame::Refused(errors)));
            return;
        }
        first = false;
        let payload = serde_json::to_string(&response).unwrap_or_default();
        if frames.send(Arc::new(Frame::Next(payload))).is_err()
            && fanout.leave_if_idle(&key, &frames)
        {
            return;
        }
    }
    fanout.leave(&key);
    let _ = frames.send(Arc::new(Frame::End));
}
