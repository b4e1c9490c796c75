//! The subscription root: `activityAdded`, `customerChanged` and
//! `removalRequestUpdated`, each a
//! filtered view of the event bus. Events are confined to the viewer's
//! tenant before anything is read, and every delivered object is read from
//! the database in that tenant (an event whose row is gone is skipped).

use std::sync::Arc;

use async_graphql::dataloader::Loader as _;
use async_graphql::{Context, Enum, ErrorExtensions, ID, Result, SimpleObject, Subscription};
use futures_util::{Stream, StreamExt as _};
use sea_orm::DatabaseConnection;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::{Change, EventBus, Heard};
use crate::activity::Activity;
use crate::activity::loader::Timeline;
use crate::auth::{Scope, ScopeGuard};
use crate::customers::{Customer, repo as customers};
use crate::data_requests::{self, RemovalRequest};
use crate::error::{AppError, code, not_found};
use crate::graphql::ContextExt;
use crate::graphql::children::ChildLoader;
use crate::graphql::id::{self, Kind};
use crate::tenancy::TenantId;

/// What happened to a customer.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CustomerChangeType {
    Created,
    Updated,
    /// Another customer was merged into this one.
    Merged,
    Deleted,
}

/// A change to one of the tenant's customers.
#[derive(SimpleObject)]
pub struct CustomerChange {
    #[graphql(name = "type")]
    pub kind: CustomerChangeType,
    pub customer_id: ID,
    /// The fields an update changed (API names); empty otherwise.
    pub fields: Vec<String>,
    /// The customer as it is now; null once deleted.
    pub customer: Option<Customer>,
}

/// The events of the viewer's tenant, and a notice for each run of events
/// this subscriber fell too far behind to receive.
fn tenant_events(
    ctx: &Context<'_>,
) -> Result<(
    DatabaseConnection,
    TenantId,
    impl Stream<Item = Result<Arc<Heard>>> + use<>,
)> {
    let session = ctx.session()?;
    let bus = ctx
        .data::<Arc<dyn EventBus>>()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("no event bus in the request")))?;
    let tenant = session.tenant().clone();
    let own = tenant.as_str().to_owned();
    let stream = BroadcastStream::new(bus.subscribe()).filter_map(move |item| {
        let keep = match item {
            Ok(heard) if heard.event.tenant == own => Some(Ok(heard)),
            Ok(heard) if heard.event.change == Change::Interrupted => Some(Err(interrupted())),
            Ok(_) => None,
            Err(BroadcastStreamRecvError::Lagged(n)) => Some(Err(dropped(n))),
        };
        async move { keep }
    });
    Ok((session.db.clone(), tenant, stream))
}

/// The notice a subscriber gets when the instance may have missed events
/// (its database listener reconnected); how many is unknown.
fn interrupted() -> async_graphql::Error {
    async_graphql::Error::new(
        "events may have been missed while the server reconnected to the database",
    )
    .extend_with(|_, e| {
        e.set("code", code::RATE_LIMITED);
        e.set("retryAfter", 0);
        e.set("dropped", async_graphql::Value::Null);
    })
}

/// The notice a subscriber gets when it fell behind and lost events.
pub fn dropped(n: u64) -> async_graphql::Error {
    async_graphql::Error::new(format!(
        "{n} events were dropped: this subscription fell behind"
    ))
    .extend_with(|_, e| {
        e.set("code", code::RATE_LIMITED);
        e.set("retryAfter", 0);
        e.set("dropped", n);
    })
}

#[derive(Default)]
pub struct EventSubscription;

#[Subscription]
impl EventSubscription {
    /// Timeline entries as they are added, of one customer or (without
    /// `customerId`) of every customer of the tenant.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn activity_added(
        &self,
        ctx: &Context<'_>,
        customer_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Activity>> + use<>> {
        let customer = match customer_id {
            Some(id) => Some(id::decode(Kind::Customer, &id).ok_or(not_found("customer"))?),
            None => None,
        };
        let (db, tenant, events) = tenant_events(ctx)?;
        let entries = Arc::new(ChildLoader::<Timeline>::new(&db, &tenant));
        Ok(events.filter_map(move |heard| {
            let (entries, customer) = (entries.clone(), customer.clone());
            async move {
                let heard = match heard {
                    Ok(heard) => heard,
                    Err(notice) => return Some(Err(notice)),
                };
                if customer
                    .as_ref()
                    .is_some_and(|c| *c != heard.event.customer)
                {
                    return None;
                }
                match entry(&entries, &heard).await {
                    Ok(row) => row.map(|row| Ok(Activity(row))),
                    Err(err) => Some(Err(err)),
                }
            }
        }))
    }

    /// Customers of the tenant as they are created, updated, merged into
    /// or deleted.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<CustomerChange>> + use<>> {
        let (db, tenant, events) = tenant_events(ctx)?;
        let entries = Arc::new(ChildLoader::<Timeline>::new(&db, &tenant));
        Ok(events.filter_map(move |heard| {
            let (db, tenant, entries) = (db.clone(), tenant.clone(), entries.clone());
            async move {
                let heard = match heard {
                    Ok(heard) => heard,
                    Err(notice) => return Some(Err(notice)),
                };
                committed_change(&db, &tenant, &entries, &heard)
                    .await
                    .transpose()
            }
        }))
    }

    /// Data requests as they are created and change status: one request's
    /// (`id`) or every request of the tenant.
    #[graphql(guard = "ScopeGuard(Scope::ReadDataRequests)")]
    async fn removal_request_updated(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<RemovalRequest>> + use<>> {
        let only = match id {
            Some(id) => {
                Some(id::decode(Kind::DataRequest, &id).ok_or(not_found("removal request"))?)
            }
            None => None,
        };
        let (db, tenant, events) = tenant_events(ctx)?;
        Ok(events.filter_map(move |heard| {
            let (db, tenant, only) = (db.clone(), tenant.clone(), only.clone());
            async move {
                let heard = match heard {
                    Ok(heard) => heard,
                    Err(notice) => return Some(Err(notice)),
                };
                let Change::DataRequest { id: key, status } = &heard.event.change else {
                    return None;
                };
                if only.as_ref().is_some_and(|only| only != key) {
                    return None;
                }
                // Read as it is now (once for all subscribers); a request
                // that was never committed is not there, and one that has
                // moved on since is told by the event of its newer status.
                let row = heard
                    .data_request
                    .get_or_try_init(|| data_requests::repo::find(&db, &tenant, key))
                    .await;
                match row {
                    Ok(Some(row)) if row.status == *status => Some(Ok(RemovalRequest(row.clone()))),
                    Ok(_) => None,
                    Err(err) => Some(Err(err.into())),
                }
            }
        }))
    }
}

/// The timeline entry an event names (the activity added, or the entry
/// recording a customer's change), read once for all of the instance's
/// subscribers; none when it was never committed.
async fn entry(
    entries: &ChildLoader<Timeline>,
    heard: &Heard,
) -> Result<Option<entity::activity::Model>> {
    let Change::Activity { id: key, .. } = &heard.event.change else {
        return Ok(None);
    };
    let row = heard
        .activity
        .get_or_try_init(|| async {
            let mut rows = entries.load(std::slice::from_ref(key)).await?;
            Ok::<_, async_graphql::Error>(rows.remove(key))
        })
        .await?;
    Ok(row.clone())
}

/// The change an event names, if it was committed: its timeline entry
/// exists, or for a delete the customer is gone.
async fn committed_change(
    db: &DatabaseConnection,
    tenant: &TenantId,
    entries: &ChildLoader<Timeline>,
    heard: &Heard,
) -> Result<Option<CustomerChange>> {
    let event = &heard.event;
    let (kind, fields) = match &event.change {
        Change::Deleted => (CustomerChangeType::Deleted, Vec::new()),
        Change::Activity {
            customer: Some(record),
            ..
        } => {
            let kind = match record.action.as_str() {
                "created" => CustomerChangeType::Created,
                "merged" => CustomerChangeType::Merged,
                _ => CustomerChangeType::Updated,
            };
            // Committed only if the entry recording it exists.
            if entry(entries, heard).await?.is_none() {
                return Ok(None);
            }
            (kind, record.fields.clone())
        }
        Change::Activity { customer: None, .. }
        | Change::DataRequest { .. }
        | Change::Interrupted => return Ok(None),
    };
    let customer = heard
        .customer
        .get_or_try_init(|| customers::find(db, tenant, &event.customer))
        .await?
        .clone();
    if kind == CustomerChangeType::Deleted && customer.is_some() {
        return Ok(None);
    }
    Ok(Some(CustomerChange {
        kind,
        customer_id: id::encode(Kind::Customer, &event.customer),
        fields,
        customer: customer.map(Customer::from),
    }))
}
