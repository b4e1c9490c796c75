//! The in-process bus: a broadcast channel.

use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use tokio::sync::broadcast;

use super::{Event, EventBus, Heard};

pub struct LocalBus {
    sender: broadcast::Sender<Arc<Heard>>,
    /// The same events, for the server's own machinery ([`EventBus::watch`]).
    watched: broadcast::Sender<Arc<Heard>>,
}

impl LocalBus {
    /// A bus whose subscribers may each fall `buffer` events behind.
    pub fn new(buffer: usize) -> Self {
        Self {
            sender: broadcast::channel(buffer.max(1)).0,
            watched: broadcast::channel(buffer.max(1)).0,
        }
    }

    /// Hands events to this instance's subscribers.
    pub fn deliver(&self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            // No subscriber: nothing to do.
            let heard = Arc::new(Heard::new(event));
            let _ = self.watched.send(heard.clone());
            let _ = self.sender.send(heard);
        }
    }
}

impl EventBus for LocalBus {
    fn publish(&self, events: Vec<Event>) -> BoxFuture<'_, ()> {
        self.deliver(events);
        async {}.boxed()
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Heard>> {
        self.sender.subscribe()
    }

    fn watch(&self) -> broadcast::Receiver<Arc<Heard>> {
        self.watched.subscribe()
    }

    fn listeners(&self) -> usize {
        self.sender.receiver_count()
    }
}
