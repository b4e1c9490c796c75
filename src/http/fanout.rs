//! Subscriptions shared among sockets. Sockets that run the same operation
//! with the same variables for the same viewer (tenant, `sub`, scopes) get
//! the same results, so the operation runs once per instance and each
//! result is serialized once; every socket then writes those bytes under
//! its own operation id. A group ends when its operation ends, or when its
//! last socket has left.
//!
//! Events are lost at two places: the operation may fall behind the bus
//! (its result is then a notice standing for the events it lost), and a
//! socket may fall behind its group (it loses results, notices among
//! them). Each result says how many events it stands for and how many the
//! group has counted through it, so a socket that fell behind is told
//! exactly how many events it lost, whichever results they were in.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use async_graphql::Request;
use futures_util::{Stream, StreamExt as _};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

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

/// A frame as a group sends it.
pub struct Sent {
    pub frame: Frame,
    /// The events the group has counted, this frame's included.
    through: u64,
    /// The events this frame stands for: one for a result, the number
    /// lost for a notice, none for the end.
    events: u64,
}

type Frames = broadcast::Sender<Arc<Sent>>;

/// A group's channel and its count of events so far.
#[derive(Clone)]
struct Group {
    frames: Frames,
    counted: Arc<AtomicU64>,
}

pub struct Fanout {
    groups: Mutex<HashMap<Key, Group>>,
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
    pub fn join(self: &Arc<Self>, viewer: &Viewer, request: Request) -> Joined {
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
        if let Some(group) = groups.get(&key) {
            // Subscribed before the count is read: a frame counted after
            // the read is heard, and one counted before is not missed.
            let frames = group.frames.subscribe();
            return Joined::new(frames, group.counted.load(Ordering::Acquire));
        }
        let (frames, receiver) = broadcast::channel(self.buffer);
        let group = Group {
            frames,
            counted: Arc::new(AtomicU64::new(0)),
        };
        groups.insert(key.clone(), group.clone());
        drop(groups);
        tokio::spawn(produce(self.clone(), key, group, viewer.clone(), request));
        Joined::new(receiver, 0)
    }

    /// Subscriptions open on this instance's sockets.
    pub fn subscribers(&self) -> usize {
        self.lock()
            .values()
            .map(|g| g.frames.receiver_count())
            .sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Group>> {
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

/// How many events a result stands for: the number a notice says were
/// lost, or one.
fn events(response: &async_graphql::Response) -> u64 {
    response
        .errors
        .iter()
        .filter_map(|e| match e.extensions.as_ref()?.get("dropped")? {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .sum::<u64>()
        .max(1)
}

impl Group {
    /// Counts and sends a frame; whether any socket still listens.
    fn send(&self, frame: Frame, events: u64) -> bool {
        let through = self.counted.fetch_add(events, Ordering::AcqRel) + events;
        let sent = Sent {
            frame,
            through,
            events,
        };
        self.frames.send(Arc::new(sent)).is_ok()
    }
}

async fn produce(fanout: Arc<Fanout>, key: Key, group: Group, viewer: Viewer, request: Request) {
    let frames = &group.frames;
    let session = Session::outside_request(fanout.db.clone(), viewer);
    let request = request.data(session).data(fanout.bus.clone());
    let mut responses = fanout.schema.execute_stream(request);
    let mut idle_check = tokio::time::interval(IDLE_CHECK);
    idle_check.tick().await;
    let mut first = true;
    loop {
        let response = tokio::select! {
            response = responses.next() => response,
            _ = idle_check.tick() => {
                if fanout.leave_if_idle(&key, frames) {
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
            group.send(Frame::Refused(errors), 0);
            return;
        }
        first = false;
        let events = events(&response);
        let payload = serde_json::to_string(&response).unwrap_or_default();
        if !group.send(Frame::Next(payload), events) && fanout.leave_if_idle(&key, frames) {
            return;
        }
    }
    fanout.leave(&key);
    group.send(Frame::End, 0);
}

/// A socket's subscription to a group: each frame it hears, with how many
/// events it lost since the frame before (its buffer full, it skipped
/// frames, notices among them).
pub struct Joined {
    frames: BroadcastStream<Arc<Sent>>,
    heard: u64,
}

impl Joined {
    fn new(frames: broadcast::Receiver<Arc<Sent>>, heard: u64) -> Self {
        Joined {
            frames: BroadcastStream::new(frames),
            heard,
        }
    }
}

/// A frame a socket heard, and the events it missed just before it.
pub struct Heard {
    pub sent: Arc<Sent>,
    pub missed: u64,
}

impl Stream for Joined {
    type Item = Heard;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Heard>> {
        loop {
            match std::task::ready!(self.frames.poll_next_unpin(cx)) {
                None => return Poll::Ready(None),
                // The next frame heard says how many events were skipped.
                Some(Err(_lagged)) => {}
                Some(Ok(sent)) => {
                    let before = sent.through - sent.events;
                    let missed = before.saturating_sub(self.heard);
                    self.heard = self.heard.max(sent.through);
                    return Poll::Ready(Some(Heard { sent, missed }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(buffer: usize) -> (Group, Joined) {
        let (frames, receiver) = broadcast::channel(buffer);
        let counted = Arc::new(AtomicU64::new(0));
        (Group { frames, counted }, Joined::new(receiver, 0))
    }

    async fn heard(joined: &mut Joined) -> (String, u64) {
        let heard = joined.next().await.expect("a frame");
        let text = match &heard.sent.frame {
            Frame::Next(payload) => payload.clone(),
            Frame::Refused(_) => "refused".into(),
            Frame::End => "end".into(),
        };
        (text, heard.missed)
    }

    #[tokio::test]
    async fn a_socket_behind_its_group_is_told_every_event_it_lost() {
        let (group, mut joined) = group(2);
        group.send(Frame::Next("a".into()), 1);
        // A notice for 5 events the operation itself lost.
        group.send(Frame::Next("lost 5".into()), 5);
        group.send(Frame::Next("b".into()), 1);
        group.send(Frame::Next("c".into()), 1);
        // The socket kept two frames: it lost "a" and the notice, 6 events.
        assert_eq!(heard(&mut joined).await, ("b".into(), 6));
        assert_eq!(heard(&mut joined).await, ("c".into(), 0));
        group.send(Frame::Next("d".into()), 1);
        group.send(Frame::Next("e".into()), 1);
        group.send(Frame::Next("f".into()), 1);
        group.send(Frame::End, 0);
        assert_eq!(heard(&mut joined).await, ("f".into(), 2));
        assert_eq!(heard(&mut joined).await, ("end".into(), 0));
    }

    #[tokio::test]
    async fn a_socket_joining_late_missed_nothing() {
        let (group, _first) = group(4);
        group.send(Frame::Next("a".into()), 1);
        group.send(Frame::Next("lost 3".into()), 3);
        let mut late = Joined::new(
            group.frames.subscribe(),
            group.counted.load(Ordering::Acquire),
        );
        group.send(Frame::Next("b".into()), 1);
        assert_eq!(heard(&mut late).await, ("b".into(), 0));
    }
}
