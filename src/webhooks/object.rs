//! The webhook objects: `WebhookEndpoint`, `WebhookDelivery` and the
//! attempts of a delivery.

use async_graphql::{Context, Enum, ID, Json, Object, Result, SimpleObject};
use entity::webhook_delivery::DeliveryStatus;
use entity::{webhook_delivery, webhook_endpoint};
use futures_util::FutureExt as _;
use serde_json::Value;

use super::loader::{WebhookAttemptLoader, WebhookEventLoader};
use super::repo;
use crate::auth::Scope;
use crate::graphql::ContextExt;
use crate::graphql::pagination::ListConnection;
use crate::graphql::pagination::{Page, TotalCount};
use crate::graphql::scalars::DateTime;
use crate::ids::{self, Kind};

/// A URL the tenant's events are POSTed to.
pub struct WebhookEndpoint {
    pub row: webhook_endpoint::Model,
    /// Shown once: in the response that created the endpoint.
    pub secret: Option<String>,
}

/// A URL the tenant's events are POSTed to, signed with its secret.
#[Object]
impl WebhookEndpoint {
    /// `whk_` followed by a time-ordered key.
    pub async fn id(&self) -> ID {
        ids::encode(Kind::WebhookEndpoint, &self.row.id)
    }

    /// Where the events are POSTed.
    async fn url(&self) -> &str {
        &self.row.url
    }

    /// The events sent here.
    async fn events(&self) -> Vec<String> {
        self.row
            .events
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What the endpoint is for; null when none was given.
    async fn description(&self) -> Option<&str> {
        self.row.description.as_deref()
    }

    /// The key of the `Crm-Signature` HMAC: returned once, by
    /// `createWebhookEndpoint`; null on every later read.
    async fn secret(&self) -> Option<&str> {
        self.secret.as_deref()
    }

    /// False once the endpoint was disabled (it answered 410 Gone).
    async fn enabled(&self) -> bool {
        self.row.disabled_at.is_none()
    }

    /// When the endpoint was disabled; null while it is enabled.
    async fn disabled_at(&self) -> Option<DateTime> {
        self.row.disabled_at.map(DateTime)
    }

    /// Why the endpoint was disabled; null while it is enabled.
    async fn disabled_reason(&self) -> Option<&str> {
        self.row.disabled_reason.as_deref()
    }

    /// When the endpoint was registered.
    async fn created_at(&self) -> DateTime {
        DateTime(self.row.created_at)
    }

    /// When the endpoint last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.row.updated_at)
    }

    /// Events sent (or to be sent) here, newest first, each with its
    /// attempts. Sent events are kept 30 days.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Only deliveries with this status.")] status: Option<
            WebhookDeliveryStatus,
        >,
    ) -> Result<WebhookDeliveryConnection> {
        let session = ctx.session()?;
        let page = Page::from_params(first, after, last, before)?;
        let keyset = repo::delivery_keyset(&page);
        let status = status.map(DeliveryStatus::from);
        let rows =
            repo::list_deliveries(&session.db, session.tenant(), &self.row.id, status, &keyset)
                .await?;
        let (db, tenant, endpoint) = (
            session.db.clone(),
            session.tenant().clone(),
            self.row.id.clone(),
        );
        let total = TotalCount::new(move || {
            let (db, tenant, endpoint) = (db.clone(), tenant.clone(), endpoint.clone());
            async move { Ok(repo::count_deliveries(&db, &tenant, &endpoint, status).await?) }
                .boxed()
        });
        Ok(keyset.connection(rows, WebhookDelivery, total))
    }
}

/// Where a delivery stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum WebhookDeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// A 2xx answer was received.
    Succeeded,
    /// Given up: the last attempt failed, the endpoint answered 410 Gone,
    /// or it was disabled.
    Failed,
}

impl From<WebhookDeliveryStatus> for DeliveryStatus {
    fn from(status: WebhookDeliveryStatus) -> Self {
        match status {
            WebhookDeliveryStatus::Pending => DeliveryStatus::Pending,
            WebhookDeliveryStatus::Succeeded => DeliveryStatus::Succeeded,
            WebhookDeliveryStatus::Failed => DeliveryStatus::Failed,
        }
    }
}

impl From<DeliveryStatus> for WebhookDeliveryStatus {
    fn from(status: DeliveryStatus) -> Self {
        match status {
            DeliveryStatus::Pending => WebhookDeliveryStatus::Pending,
            DeliveryStatus::Succeeded => WebhookDeliveryStatus::Succeeded,
            DeliveryStatus::Failed => WebhookDeliveryStatus::Failed,
        }
    }
}

/// One event for one endpoint.
pub struct WebhookDelivery(pub webhook_delivery::Model);

/// One POST of a delivery.
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    /// When the POST was made.
    pub attempted_at: DateTime,
    /// The receiver's HTTP status; null when none came (see `error`).
    pub status_code: Option<i32>,
    /// Milliseconds from sending the request to the answer's status line.
    pub latency_ms: i64,
    /// Why no status came: a timeout, a refused or failed connection.
    pub error: Option<String>,
}

/// One event for one endpoint: the POSTs made to deliver it, and how they
/// went. Delivery is at least once.
#[Object]
impl WebhookDelivery {
    /// `whd_` followed by a time-ordered key.
    async fn id(&self) -> ID {
        ids::encode(Kind::WebhookDelivery, &self.0.id)
    }

    /// The event's `id`, the same in every attempt (receivers deduplicate
    /// by it).
    async fn event_id(&self) -> ID {
        ids::encode(Kind::WebhookEvent, &self.0.event_id)
    }

    /// The event's name (`customer.created`, …); null once an erasure
    /// removed the event.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let session = ctx.session()?;
        let row = session
            .loaders
            .get::<WebhookEventLoader>()
            .load_one(self.0.event_id.clone())
            .await?;
        Ok(row.map(|row| row.event))
    }

    /// The body sent: `{ id, event, createdAt, data }`. Customer events
    /// carry the customer, so this needs `read:customers` too.
    async fn payload(&self, ctx: &Context<'_>) -> Result<Option<Json<Value>>> {
        let session = ctx.session()?;
        if !session.viewer.scopes.contains(Scope::ReadCustomers) {
            return Err(crate::error::AppError::Forbidden {
                scope: Scope::ReadCustomers.as_str(),
            }
            .into());
        }
        let row = session
            .loaders
            .get::<WebhookEventLoader>()
            .load_one(self.0.event_id.clone())
            .await?;
        Ok(row.and_then(|row| serde_json::from_str(&row.body).ok().map(Json)))
    }

    /// Where the delivery stands.
    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }

    /// How many POSTs were made.
    async fn attempt_count(&self) -> i32 {
        self.0.attempts
    }

    /// Every attempt, oldest first.
    async fn attempts(&self, ctx: &Context<'_>) -> Result<Vec<WebhookAttempt>> {
        let session = ctx.session()?;
        let rows = session
            .loaders
            .get::<WebhookAttemptLoader>()
            .load_one(self.0.id.clone())
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|row| WebhookAttempt {
                attempted_at: DateTime(row.attempted_at),
                status_code: row.status_code,
                latency_ms: row.latency_ms,
                error: row.error,
            })
            .collect())
    }

    /// The HTTP status of the latest attempt; null before the first, or
    /// when the latest got no answer.
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }

    /// When the next attempt is due (pending deliveries).
    async fn next_attempt_at(&self) -> Option<DateTime> {
        self.0.next_attempt_at.map(DateTime)
    }

    /// When a 2xx answer came; null unless `SUCCEEDED`.
    async fn delivered_at(&self) -> Option<DateTime> {
        self.0.delivered_at.map(DateTime)
    }

    /// When the event was written for this endpoint.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

pub type WebhookEndpointConnection = ListConnection<WebhookEndpoint>;
pub type WebhookDeliveryConnection = ListConnection<WebhookDelivery>;

pub(super) fn endpoint(row: webhook_endpoint::Model) -> WebhookEndpoint {
    WebhookEndpoint { row, secret: None }
}
