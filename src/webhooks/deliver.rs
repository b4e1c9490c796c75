//! Sending one delivery: sign the event's stored body, POST it, record the
//! attempt, and then settle the delivery: `SUCCEEDED` on any 2xx, `FAILED`
//! (and the endpoint disabled) on 410 Gone or after the last attempt, and
//! otherwise retried after an exponential backoff with jitter.

use std::time::Instant;

use entity::webhook_delivery::DeliveryStatus;
use entity::{job, webhook_attempt};
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use sea_orm::DatabaseConnection;
use sha2::Sha256;

use super::{guard, repo};
use crate::config::WebhookArgs;
use crate::db::begin_write;
use crate::error::AppResult;
use crate::ids::{self, Kind};
use crate::jobs;
use crate::tenancy::{self, TenantId};

/// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
pub const SIGNATURE_HEADER: &str = "Crm-Signature";

/// The `Crm-Signature` value of `body` sent at `t`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What one attempt got.
struct Sent {
    status: Option<u16>,
    latency_ms: i64,
    error: Option<String>,
}

/// The kind of a delivery's job (`subject_id` is the delivery's key).
pub(super) const KIND: &str = "webhook_delivery";

/// Sends webhook deliveries: the worker's handler of their jobs.
pub struct Deliveries {
    pub db: DatabaseConnection,
    /// See [`super::client`].
    pub client: reqwest::Client,
    pub settings: WebhookArgs,
}

impl jobs::Handler for Deliveries {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, job: &'a job::Model) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(deliver(self, job))
    }

    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            if let Err(err) = super::sweep_old_events(&self.db).await {
                tracing::warn!(error = ?err, "removing old webhook events failed");
            }
        })
    }
}

async fn deliver(app: &Deliveries, job: &job::Model) -> AppResult<()> {
    let Some(tenant) = jobs::tenant_of(job) else {
        jobs::finish(&app.db, job).await?;
        return Ok(());
    };
    let delivery =
        match tenancy::find::<entity::webhook_delivery::Entity>(&app.db, &tenant, &job.subject_id)
            .await?
        {
            Some(row) if row.status == DeliveryStatus::Pending => row,
            // Deleted with its endpoint or event (an erasure), or settled.
            _ => {
                jobs::finish(&app.db, job).await?;
                return Ok(());
            }
        };
    let endpoint = tenancy::find_many::<entity::webhook_endpoint::Entity>(
        &app.db,
        &tenant,
        std::slice::from_ref(&delivery.endpoint_id),
    )
    .await?
    .pop();
    let event =
        tenancy::find::<entity::webhook_event::Entity>(&app.db, &tenant, &delivery.event_id)
            .await?;
    let (Some(endpoint), Some(event)) = (endpoint, event) else {
        jobs::finish(&app.db, job).await?;
        return Ok(());
    };
    let sent = if endpoint.disabled_at.is_some() {
        None
    } else {
        Some(send(app, &endpoint.url, &endpoint.secret, &event).await)
    };
    settle(app, &tenant, job, &delivery.id, sent).await
}

async fn send(
    app: &Deliveries,
    url: &str,
    secret: &str,
    event: &entity::webhook_event::Model,
) -> Sent {
    let started = Instant::now();
    let refused = |error: &str| Sent {
        status: None,
        latency_ms: 0,
        error: Some(error.to_owned()),
    };
    let url = match guard::check_syntax(url) {
        Ok(url) => url,
        Err(why) => return refused(why),
    };
    // Names are checked by the client's resolver; literal addresses here.
    if !app.settings.webhook_allow_private {
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if literal.is_some_and(|ip| !guard::is_public(ip)) {
            return refused("refused: the address is not public");
        }
    }
    let t = chrono::Utc::now().timestamp();
    let result = app
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature(secret, t, &event.body))
        .header("Crm-Event", event.event.as_str())
        .header("Crm-Event-Id", ids::encode(Kind::WebhookEvent, &event.id).0)
        .body(event.body.clone())
        .send()
        .await;
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match result {
        Ok(response) => Sent {
            status: Some(response.status().as_u16()),
            latency_ms,
            error: None,
        },
        Err(err) => Sent {
            status: None,
            latency_ms,
            error: Some(describe(&err)),
        },
    }
}

/// A short reason for a failed attempt (no URL, no body).
fn describe(err: &reqwest::Error) -> String {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        if inner.to_string().contains("no public address") {
            return "refused: the host resolves to no public address".to_owned();
        }
        source = inner.source();
    }
    what.to_owned()
}

/// Records the attempt (none when the endpoint was disabled) and decides
/// what becomes of the delivery, in one transaction with the job's end.
async fn settle(
    app: &Deliveries,
    tenant: &TenantId,
    job: &job::Model,
    delivery_key: &str,
    sent: Option<Sent>,
) -> AppResult<()> {
    let settings = &app.settings;
    let txn = begin_write(&app.db).await?;
    let Some(mut delivery) =
        tenancy::find_for_update::<entity::webhook_delivery::Entity>(&txn, tenant, delivery_key)
            .await?
    else {
        jobs::finish(&txn, job).await?;
        txn.commit().await?;
        return Ok(());
    };
    if delivery.status != DeliveryStatus::Pending {
        jobs::finish(&txn, job).await?;
        txn.commit().await?;
        return Ok(());
    }
    let now = crate::db::now();
    delivery.updated_at = now;
    let mut retry_at = None;
    match sent {
        None => {
            delivery.status = DeliveryStatus::Failed;
            delivery.next_attempt_at = None;
        }
        Some(sent) => {
            repo::insert_attempt(
                &txn,
                webhook_attempt::Model {
                    tenant_id: tenant.as_str().to_owned(),
                    id: ids::new_key(),
                    delivery_id: delivery.id.clone(),
                    attempted_at: now,
                    status_code: sent.status.map(i32::from),
                    latency_ms: sent.latency_ms,
                    error: sent.error,
                },
            )
            .await?;
            delivery.attempts += 1;
            delivery.last_status_code = sent.status.map(i32::from);
            match sent.status {
                Some(200..=299) => {
                    delivery.status = DeliveryStatus::Succeeded;
                    delivery.delivered_at = Some(now);
                    delivery.next_attempt_at = None;
                }
                Some(410) => {
                    delivery.status = DeliveryStatus::Failed;
                    delivery.next_attempt_at = None;
                    repo::disable_endpoint(
                        &txn,
                        tenant,
                        &delivery.endpoint_id,
                        "the receiver answered 410 Gone",
                    )
                    .await?;
                }
                _ if delivery.attempts >= i32::from(settings.webhook_max_attempts) => {
                    delivery.status = DeliveryStatus::Failed;
                    delivery.next_attempt_at = None;
                }
                _ => {
                    let delay = jobs::backoff(
                        settings.webhook_retry_base,
                        delivery.attempts,
                        settings.webhook_retry_cap,
                    );
                    let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                    delivery.next_attempt_at = Some(at);
                    retry_at = Some(at);
                }
            }
        }
    }
    let status = delivery.status;
    repo::save_delivery(&txn, delivery).await?;
    let held = match retry_at {
        Some(at) => jobs::reschedule(&txn, job, at).await?,
        None => jobs::finish(&txn, job).await?,
    };
    if !held {
        txn.rollback().await?;
        return Ok(());
    }
    txn.commit().await?;
    tracing::info!(delivery = %delivery_key, ?status, "webhook attempt recorded");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_timestamp_dot_body() {
        // HMAC-SHA256("secret", "1700000000.{}"), computed with Python's hmac.
        let header = signature("secret", 1_700_000_000, "{}");
        assert_eq!(
            header,
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_ne!(header, signature("secret", 1_700_000_001, "{}"));
        assert_ne!(header, signature("other", 1_700_000_000, "{}"));
    }
}
