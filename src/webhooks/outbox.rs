//! The outbox: webhook events written in the transaction of the change
//! they report, one delivery (and its job) per subscribed endpoint. When
//! no endpoint of the tenant wants an event, nothing is written.
//!
//! Each event's body is fixed when it is written (`{ id, event, createdAt,
//! data }`, with `data` in the API's field names), so every attempt signs
//! and sends the same bytes.

use entity::webhook_delivery::DeliveryStatus;
use entity::{customer, data_request, webhook_delivery, webhook_endpoint, webhook_event};
use sea_orm::ActiveEnum as _;
use serde_json::{Value, json};

use super::repo;
use crate::error::AppResult;
use crate::graphql::scalars::{DateTime, Decimal};
use crate::ids::{self, Kind};
use crate::jobs;
use crate::profiles::consent::{Channel, Consent, OptInLevel};
use crate::tenancy::{self, TenantId};

pub const CUSTOMER_CREATED: &str = "customer.created";
pub const CUSTOMER_UPDATED: &str = "customer.updated";
pub const CUSTOMER_DELETED: &str = "customer.deleted";
pub const DATA_REQUEST_COMPLETED: &str = "data_request.completed";
pub const SEGMENT_ENTERED: &str = "segment.entered";
pub const SEGMENT_EXITED: &str = "segment.exited";

/// Every event an endpoint can subscribe to.
pub const EVENTS: [&str; 6] = [
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    CUSTOMER_DELETED,
    DATA_REQUEST_COMPLETED,
    SEGMENT_ENTERED,
    SEGMENT_EXITED,
];

/// An event to write.
pub struct Pending {
    pub event: &'static str,
    /// The customer it is about (an erasure removes the event).
    pub customer: Option<String>,
    pub data: Value,
}

fn subscribes(endpoint: &webhook_endpoint::Model, event: &str) -> bool {
    endpoint
        .events
        .as_array()
        .is_some_and(|events| events.iter().any(|e| e == event))
}

/// Writes events for the endpoints that subscribe to them.
async fn write(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    endpoints: &[webhook_endpoint::Model],
    pending: Vec<Pending>,
) -> AppResult<()> {
    let now = crate::db::now();
    let (mut events, mut deliveries, mut queued) = (Vec::new(), Vec::new(), Vec::new());
    for item in pending {
        let targets: Vec<_> = endpoints
            .iter()
            .filter(|e| subscribes(e, item.event))
            .collect();
        if targets.is_empty() {
            continue;
        }
        let key = ids::new_key();
        let body = json!({
            "id": ids::encode(Kind::WebhookEvent, &key).0,
            "event": item.event,
            "createdAt": time(now),
            "data": item.data,
        });
        events.push(webhook_event::Model {
            tenant_id: tenant.as_str().to_owned(),
            id: key.clone(),
            event: item.event.to_owned(),
            customer_id: item.customer,
            body: body.to_string(),
            created_at: now,
        });
        for endpoint in targets {
            let delivery = ids::new_key();
            queued.push(jobs::new_job(tenant, super::deliver::KIND, &delivery, now));
            deliveries.push(webhook_delivery::Model {
                tenant_id: tenant.as_str().to_owned(),
                id: delivery,
                endpoint_id: endpoint.id.clone(),
                event_id: key.clone(),
                status: DeliveryStatus::Pending,
                attempts: 0,
                last_status_code: None,
                next_attempt_at: Some(now),
                delivered_at: None,
                created_at: now,
                updated_at: now,
            });
        }
    }
    if events.is_empty() {
        return Ok(());
    }
    repo::insert_events(db, &events).await?;
    repo::insert_deliveries(db, &deliveries).await?;
    jobs::enqueue(db, queued).await
}

fn time(t: chrono::DateTime<chrono::Utc>) -> Value {
    async_graphql::ScalarType::to_value(&DateTime(t))
        .into_json()
        .unwrap_or(Value::Null)
}

/// A customer created or changed (updated, merged into), as its timeline
/// entry records it.
pub struct CustomerChanged<'a> {
    pub customer: &'a str,
    pub created: bool,
}

/// `customer.created` / `customer.updated` for customers just changed, in
/// the transaction of the change.
pub async fn customers_changed(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    changed: &[CustomerChanged<'_>],
) -> AppResult<()> {
    let changes: Vec<(&str, &'static str)> = changed
        .iter()
        .map(|change| {
            let event = if change.created {
                CUSTOMER_CREATED
            } else {
                CUSTOMER_UPDATED
            };
            (change.customer, event)
        })
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let endpoints = repo::active_endpoints(db, tenant).await?;
    if !changes
        .iter()
        .any(|(_, event)| endpoints.iter().any(|e| subscribes(e, event)))
    {
        return Ok(());
    }
    let keys: Vec<String> = changes.iter().map(|(key, _)| (*key).to_owned()).collect();
    let customers = tenancy::find_many::<entity::customer::Entity>(db, tenant, &keys).await?;
    let mut tags = crate::profiles::repo::tags(db, tenant, &keys).await?;
    let pending = changes
        .into_iter()
        .filter_map(|(key, event)| {
            let row = customers.iter().find(|c| c.id == key)?;
            Some(Pending {
                event,
                customer: Some(key.to_owned()),
                data: customer_data(row, tags.remove(key).unwrap_or_default()),
            })
        })
        .collect();
    write(db, tenant, &endpoints, pending).await
}

/// `customer.deleted` (the data is the customer's ID only).
pub async fn customer_deleted(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<()> {
    let endpoints = repo::active_endpoints(db, tenant).await?;
    // Not tied to the customer: it holds nothing of theirs, and an erasure
    // (of a customer already gone) must not remove the notice of it.
    let pending = Pending {
        event: CUSTOMER_DELETED,
        customer: None,
        data: json!({ "id": ids::encode(Kind::Customer, key).0 }),
    };
    write(db, tenant, &endpoints, vec![pending]).await
}

/// `segment.entered` / `segment.exited` for each `(segment, customer,
/// entered)` (row keys), in the transaction that computed them.
pub async fn segment_memberships_changed<'a>(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    changes: impl Iterator<Item = (&'a str, &'a str, bool)>,
) -> AppResult<()> {
    let pending: Vec<Pending> = changes
        .map(|(segment, customer, entered)| Pending {
            event: if entered {
                SEGMENT_ENTERED
            } else {
                SEGMENT_EXITED
            },
            customer: Some(customer.to_owned()),
            data: json!({
                "segmentId": ids::encode(Kind::Segment, segment).0,
                "customerId": ids::encode(Kind::Customer, customer).0,
            }),
        })
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    let endpoints = repo::active_endpoints(db, tenant).await?;
    write(db, tenant, &endpoints, pending).await
}

/// `data_request.completed`: the request, without its free text.
pub async fn data_request_completed(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    request: &data_request::Model,
) -> AppResult<()> {
    let endpoints = repo::active_endpoints(db, tenant).await?;
    let pending = Pending {
        event: DATA_REQUEST_COMPLETED,
        customer: None,
        data: json!({
            "id": ids::encode(Kind::DataRequest, &request.id).0,
            "customerId": ids::encode(Kind::Customer, &request.customer_id).0,
            "type": request.kind.to_value(),
            "status": request.status.to_value(),
            "notifyCustomer": request.notify_customer,
            "createdAt": time(request.created_at),
            "completedAt": request.completed_at.map(time),
        }),
    };
    write(db, tenant, &endpoints, vec![pending]).await
}

/// A consent as the API shows it.
fn consent(consent: Consent) -> Value {
    json!({
        "state": consent.state.as_str(),
        "optInLevel": consent.opt_in_level.map(OptInLevel::as_str),
        "updatedAt": consent.updated_at.map(|t| time(t.0)),
        "source": consent.source,
    })
}

/// A customer as the API shows it (its scalar fields).
fn customer_data(row: &customer::Model, tags: Vec<String>) -> Value {
    let address = crate::profiles::row::has_address(row).then(|| {
        json!({
            "line1": row.address_line1,
            "line2": row.address_line2,
            "city": row.city,
            "state": row.state,
            "postalCode": row.postal_code,
            "country": row.country,
        })
    });
    json!({
        "id": ids::encode(Kind::Customer, &row.id).0,
        "name": row.name,
        "firstName": row.first_name,
        "lastName": row.last_name,
        "email": row.email,
        "phone": row.phone,
        "additionalEmails": row.additional_emails,
        "additionalPhones": row.additional_phones,
        "companyName": row.company_name,
        "companyId": row.company_id.clone().map(|k| crate::ids::CompanyId::of_row(k).id().to_string()),
        "avatarUrl": row.avatar_url,
        "status": row.status,
        "source": row.source,
        "tags": tags,
        "address": address,
        "metadata": row.metadata,
        "emailConsent": consent(Channel::Email.of(row)),
        "smsConsent": consent(Channel::Sms.of(row)),
        "locale": row.locale,
        "currency": row.currency,
        "totalOrders": row.total_orders,
        "totalSpent": Decimal::from(row.total_spent_cents).to_string(),
        "lastOrderAt": row.last_order_at.map(time),
        "createdAt": time(row.created_at),
        "updatedAt": time(row.updated_at),
    })
}
