//! `bulkOperationUpdated`: one bulk operation as it moves on, batch by
//! batch, to its end.

use async_graphql::{Context, ID, Result, Subscription};
use entity::bulk_operation;
use futures_util::{Stream, StreamExt as _, stream};

use super::object::BulkOperation;
use crate::auth::Scope;
use crate::error::not_found;
use crate::events::Change;
use crate::graphql::ScopeGuard;
use crate::graphql::events::tenant_events;
use crate::ids::BulkOperationId;
use crate::tenancy;

#[derive(Default)]
pub struct BulkOperationSubscription;

#[Subscription]
impl BulkOperationSubscription {
    /// The operation `id` as it stands when the subscription starts, then
    /// each time it moves on (each batch done, ended); the subscription
    /// completes once the operation has ended, at once for one that
    /// already has. `NOT_FOUND` for an operation your tenant does not
    /// have. Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn bulk_operation_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The operation's ID (`bop_…`).")] id: ID,
    ) -> Result<impl Stream<Item = Result<BulkOperation>> + use<>> {
        let only = BulkOperationId::require(&id)?;
        // Listening before the read: no change falls between the two.
        let (db, tenant, events) = tenant_events(ctx)?;
        let now = tenancy::find::<bulk_operation::Entity>(&db, &tenant, only.as_str())
            .await?
            .ok_or(not_found("bulkOperation"))?;
        let updates = events.filter_map(move |heard| {
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
                match tenancy::find::<bulk_operation::Entity>(&db, &tenant, key).await {
                    Ok(Some(row)) => Some(Ok(BulkOperation(row))),
                    Ok(None) => None,
                    Err(err) => Some(Err(err.into())),
                }
            }
        });
        let states = Box::pin(stream::once(async move { Ok(BulkOperation(now)) }).chain(updates));
        // Up to and including the first ended state, then complete.
        Ok(stream::unfold(
            (states, false),
            |(mut states, ended)| async move {
                if ended {
                    return None;
                }
                let state = states.next().await?;
                let ended = matches!(&state, Ok(BulkOperation(row)) if row.status.ended());
                Some((state, (states, ended)))
            },
        ))
    }
}
