//! `bulkOperationUpdated`: one bulk operation as it moves on, batch by
//! batch, to its end.

use async_graphql::{Context, ID, Result, Subscription};
use futures_util::{Stream, StreamExt as _};

use super::object::BulkOperation;
use crate::auth::Scope;
use crate::events::Change;
use crate::graphql::ScopeGuard;
use crate::graphql::events::tenant_events;
use crate::ids::BulkOperationId;
use crate::tenancy;

#[derive(Default)]
pub struct BulkOperationSubscription;

#[Subscription]
impl BulkOperationSubscription {
    /// The operation `id` each time it moves on: started, each batch
    /// done, ended. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn bulk_operation_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The operation's ID (`bop_…`).")] id: ID,
    ) -> Result<impl Stream<Item = Result<BulkOperation>> + use<>> {
        let only = BulkOperationId::require(&id)?;
        let (db, tenant, events) = tenant_events(ctx)?;
        Ok(events.filter_map(move |heard| {
            let (db, tenant, only) = (db.clone(), tenant.clone(), only.clone());
            async move {
                let heard = match heard {
                    Ok(heard) => heard,
                    Err(notice) => return Some(Err(notice)),
                };
                let Change::BulkOperation { id: key, .. } = &heard.event.change else {
                    return None;
                };
                if only.as_str() != key {
                    return None;
                }
                // Read as it is now: a later event tells any newer state.
                match tenancy::find::<entity::bulk_operation::Entity>(&db, &tenant, key).await {
                    Ok(Some(row)) => Some(Ok(BulkOperation(row))),
                    Ok(None) => None,
                    Err(err) => Some(Err(err.into())),
                }
            }
        }))
    }
}
