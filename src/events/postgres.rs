//! The PostgreSQL bus: `NOTIFY crm_events` carries events to every server
//! instance on the database, each of which `LISTEN`s and hands them to its
//! own subscribers. PostgreSQL delivers a notification once its
//! transaction commits, in commit order, to every listening session.

use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Func, Query};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::broadcast;

use super::local::LocalBus;
use super::{Event, EventBus, Heard};

/// The channel's name ends with the database schema the server works in,
/// so deployments that share a database in separate schemas do not hear
/// each other.
const CHANNEL: &str = "crm_events";
/// A notification's payload must stay under 8,000 bytes.
const MAX_PAYLOAD: usize = 7_000;

pub struct PgBus {
    db: DatabaseConnection,
    channel: String,
    local: Arc<LocalBus>,
}

impl PgBus {
    /// Listens on its own connection to `url`; publishes through `db`.
    pub async fn start(url: &str, db: DatabaseConnection, buffer: usize) -> anyhow::Result<Self> {
        let schema: Option<String> = db
            .query_one(
                &Query::select()
                    .expr(Func::cust("current_schema"))
                    .to_owned(),
            )
            .await?
            .map(|row| row.try_get_by_index(0))
            .transpose()?;
        let channel = format!("{CHANNEL}_{}", schema.unwrap_or_default());
        let mut listener = PgListener::connect(url).await?;
        listener.listen(&channel).await?;
        let local = Arc::new(LocalBus::new(buffer));
        let heard = local.clone();
        tokio::spawn(async move {
            let interrupted = || Event {
                tenant: String::new(),
                customer: String::new(),
                change: super::Change::Interrupted,
            };
            loop {
                // `None`: the connection was lost. The next call connects
                // and listens again; what was sent meanwhile is not heard,
                // and subscribers are told.
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        match serde_json::from_str::<Vec<Event>>(notification.payload()) {
                            Ok(events) => heard.deliver(events),
                            Err(err) => tracing::warn!(error = %err, "unreadable event"),
                        }
                    }
                    Ok(None) => {
                        tracing::warn!("event listener lost its connection; reconnecting");
                        heard.deliver([interrupted()]);
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "event listener cannot reconnect");
                        heard.deliver([interrupted()]);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(Self { db, channel, local })
    }
}

/// Events in payloads of at most [`MAX_PAYLOAD`] bytes.
fn payloads(events: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    let mut batch: Vec<&Event> = Vec::new();
    let mut size = 2;
    for event in events {
        let len = serde_json::to_string(event).map_or(0, |s| s.len()) + 1;
        if !batch.is_empty() && size + len > MAX_PAYLOAD {
            out.push(serde_json::to_string(&batch).unwrap_or_default());
            batch.clear();
            size = 2;
        }
        batch.push(event);
        size += len;
    }
    if !batch.is_empty() {
        out.push(serde_json::to_string(&batch).unwrap_or_default());
    }
    out
}

impl EventBus for PgBus {
    fn publish(&self, events: Vec<Event>) -> BoxFuture<'_, ()> {
        async move {
            for payload in payloads(&events) {
                let notify = Query::select()
                    .expr(
                        Func::cust("pg_notify")
                            .arg(self.channel.clone())
                            .arg(payload),
                    )
                    .to_owned();
                if let Err(err) = self.db.execute(&notify).await {
                    tracing::warn!(error = %err, "events not published");
                }
            }
        }
        .boxed()
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Heard>> {
        self.local.subscribe()
    }

    fn watch(&self) -> broadcast::Receiver<Arc<Heard>> {
        self.local.watch()
    }

    fn listeners(&self) -> usize {
        self.local.listeners()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Change;

    #[test]
    fn payloads_stay_small_and_keep_every_event() {
        let events: Vec<Event> = (0..1000)
            .map(|i| Event {
                tenant: "acme".into(),
                customer: format!("{i:032}"),
                change: Change::Activity {
                    id: format!("{i:032}"),
                    customer: None,
                },
            })
            .collect();
        let payloads = payloads(&events);
        assert!(payloads.len() > 1);
        let mut back = Vec::new();
        for p in &payloads {
            assert!(p.len() <= MAX_PAYLOAD, "{}", p.len());
            back.extend(serde_json::from_str::<Vec<Event>>(p).unwrap_or_default());
        }
        assert_eq!(back, events);
    }
}
