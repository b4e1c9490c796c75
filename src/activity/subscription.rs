//! `activityAdded`: timeline entries as they are committed.

use std::sync::Arc;

use async_graphql::dataloader::Loader as _;
use async_graphql::{Context, ID, Result, Subscription};
use futures_util::{Stream, StreamExt as _};

use super::graphql::Activity;
use super::loader::Timeline;
use crate::auth::Scope;
use crate::events::{Change, Heard};
use crate::graphql::children::ChildLoader;
use crate::graphql::events::tenant_events;
use crate::graphql::{ContextExt as _, ScopeGuard};
use crate::ids::CustomerId;

#[derive(Default)]
pub struct ActivitySubscription;

#[Subscription]
impl ActivitySubscription {
    /// Timeline entries as they are added, of one customer or (without
    /// `customerId`) of every customer of the tenant. Needs
    /// `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn activity_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this customer's entries.")] customer_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Activity>> + use<>> {
        let customer = match customer_id {
            Some(id) => Some(CustomerId::require(&id)?),
            None => None,
        };
        let (_, tenant, events) = tenant_events(ctx)?;
        let entries = Arc::new(ChildLoader::<Timeline>::new(&ctx.session()?.reads, &tenant));
        Ok(events.filter_map(move |heard| {
            let (entries, customer) = (entries.clone(), customer.clone());
            async move {
                let heard = match heard {
                    Ok(heard) => heard,
                    Err(notice) => return Some(Err(notice)),
                };
                if customer
                    .as_ref()
                    .is_some_and(|c| c.as_str() != heard.event.customer)
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
}

/// The timeline entry an event names (the activity added, or the entry
/// recording a customer's change), read once for all of the instance's
/// subscribers; none when it was never committed.
pub async fn entry(
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
