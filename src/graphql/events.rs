//! Live events as a subscription sees them: confined to the viewer's
//! tenant before anything is read, with a notice for each run of events
//! the subscriber fell too far behind to receive.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, Result};
use futures_util::{Stream, StreamExt as _};
use sea_orm::DatabaseConnection;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::ContextExt;
use crate::error::{AppError, code};
use crate::events::{Change, EventBus, Heard};
use crate::tenancy::TenantId;

/// The events of the viewer's tenant, with the database and the tenant to
/// read what they name. A viewer confined to a location hears only the
/// events of its location's customers: each is checked against the
/// location's members before anything it names is read (rows an event
/// names are read once and shared by every subscriber that hears it).
pub fn tenant_events(
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
    let (db, confined) = (session.db.clone(), tenant.clone());
    let stream = BroadcastStream::new(bus.subscribe()).filter_map(move |item| {
        let keep = match item {
            Ok(heard) if heard.event.tenant == own => Some(Ok(heard)),
            Ok(heard) if heard.event.change == Change::Interrupted => Some(Err(interrupted())),
            Ok(_) => None,
            Err(BroadcastStreamRecvError::Lagged(n)) => Some(Err(dropped(n))),
        };
        let (db, confined) = (db.clone(), confined.clone());
        async move {
            match keep {
                Some(Ok(heard)) if confined.location().is_some() => {
                    match member(&db, &confined, &heard.event.customer).await {
                        Ok(true) => Some(Ok(heard)),
                        Ok(false) => None,
                        Err(err) => Some(Err(err.into())),
                    }
                }
                other => other,
            }
        }
    });
    Ok((session.db.clone(), tenant, stream))
}

/// Whether the customer (a row key) is one of the narrowed tenant's.
async fn member(
    db: &DatabaseConnection,
    tenant: &TenantId,
    customer: &str,
) -> Result<bool, AppError> {
    use sea_orm::{ColumnTrait as _, PaginatorTrait as _, QueryFilter as _};
    let found = crate::tenancy::select::<entity::customer::Entity>(tenant)
        .filter(entity::customer::Column::Id.eq(customer))
        .count(db)
        .await?;
    Ok(found > 0)
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
