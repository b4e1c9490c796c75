//! The in-process bus: a broadcast channel.

use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use tokio::sync::broadcast;

use super::{BUFFER, Event, EventBus};

pub struct LocalBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl LocalBus {
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(BUFFER).0,
        }
    }

    /// Hands events to this instance's subscribers.
    pub fn deliver(&self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            // No subscriber: nothing to do.
            let _ = self.sender.send(Arc::new(event));
        }
    }
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus for LocalBus {
    fn publish(&self, events: Vec<Event>) -> BoxFuture<'_, ()> {
        self.deliver(events);
        async {}.boxed()
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }
}
