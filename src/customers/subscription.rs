//! `customerChanged`: the tenant's customers as they are created, updated,
//! merged into or deleted.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Result, SimpleObject, Subscription};
use futures_util::{Stream, StreamExt as _};
use sea_orm::DatabaseConnection;

use crate::activity::entry;
use crate::activity::loader::Timeline;
use crate::auth::Scope;
use crate::events::{Change, Heard};
use crate::graphql::children::ChildLoader;
use crate::graphql::events::tenant_events;
use crate::graphql::{ContextExt as _, ScopeGuard};
use crate::ids::{self, CustomerId, Kind};
use crate::profiles::Customer;
use crate::profiles::repo;
use crate::tenancy::TenantId;

/// What happened to a customer.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CustomerChangeType {
    /// The customer was created.
    Created,
    /// Fields of the customer changed (`fields` names them).
    Updated,
    /// Another customer was merged into this one.
    Merged,
    /// The customer was deleted.
    Deleted,
}

/// A change to one of the tenant's customers.
#[derive(SimpleObject)]
pub struct CustomerChange {
    /// What happened.
    #[graphql(name = "type")]
    pub kind: CustomerChangeType,
    /// The customer's ID (still given once it is deleted).
    pub customer_id: ID,
    /// The fields an update changed (API names); empty otherwise.
    pub fields: Vec<String>,
    /// The customer as it is now; null once deleted.
    pub customer: Option<Customer>,
}

#[derive(Default)]
pub struct CustomerSubscription;

#[Subscription]
impl CustomerSubscription {
    /// Customers of the tenant as they are created, updated, merged into
    /// or deleted. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<CustomerChange>> + use<>> {
        let (db, tenant, events) = tenant_events(ctx)?;
        let entries = Arc::new(ChildLoader::<Timeline>::new(&ctx.session()?.reads, &tenant));
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
        | Change::BulkOperation { .. }
        | Change::SegmentMembership { .. }
        | Change::ApiKeyRevoked
        | Change::Interrupted => return Ok(None),
    };
    let key = CustomerId::of_row(event.customer.clone());
    let customer = heard
        .customer
        .get_or_try_init(|| repo::find(db, tenant, &key))
        .await?
        .clone();
    if kind == CustomerChangeType::Deleted && customer.is_some() {
        return Ok(None);
    }
    Ok(Some(CustomerChange {
        kind,
        customer_id: ids::encode(Kind::Customer, &event.customer),
        fields,
        customer: customer.map(Customer::from),
    }))
}
