//! `removalRequestUpdated`: data requests as they are created and change
//! status.

use async_graphql::{Context, ID, Result, Subscription};
use futures_util::{Stream, StreamExt as _};

use super::graphql::RemovalRequest;
use sea_orm::ActiveEnum as _;

use crate::auth::Scope;
use crate::events::Change;
use crate::graphql::ScopeGuard;
use crate::graphql::events::tenant_events;
use crate::ids::DataRequestId;
use crate::tenancy;

#[derive(Default)]
pub struct DataRequestSubscription;

#[Subscription]
impl DataRequestSubscription {
    /// Data requests as they are created and change status: one request's
    /// (`id`) or every request of the tenant. Needs `read:data_requests`.
    #[graphql(guard = "ScopeGuard(Scope::ReadDataRequests)")]
    async fn removal_request_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this request's changes.")] id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<RemovalRequest>> + use<>> {
        let only = match id {
            Some(id) => Some(DataRequestId::require(&id)?),
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
                if only.as_ref().is_some_and(|only| only.as_str() != key) {
                    return None;
                }
                // Read as it is now (once for all subscribers); a request
                // that was never committed is not there, and one that has
                // moved on since is told by the event of its newer status.
                let row = heard
                    .data_request
                    .get_or_try_init(|| {
                        tenancy::find::<entity::data_request::Entity>(&db, &tenant, key)
                    })
                    .await;
                match row {
                    Ok(Some(row)) if row.status.to_value() == *status => {
                        Some(Ok(RemovalRequest(row.clone())))
                    }
                    Ok(_) => None,
                    Err(err) => Some(Err(err.into())),
                }
            }
        }))
    }
}
