//! The loaders of one request. Built per request with the viewer's tenant
//! inside, so nothing is cached across requests or tenants; each is made on
//! first use (a subscription, which lives long, uses one or two). A batch
//! runs when the request is idle ([`Dispatch`]): one statement per loader
//! per level.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

use super::children::ChildLoader;
use super::dispatch::Dispatch;
use crate::activity::loader::Timeline;
use crate::customers::loader::{CustomerLoader, TagLoader};
use crate::data_requests::loader::{AuditLoader, DataRequestLoader, ExportLinkLoader};
use crate::metrics::BreakpointLoader;
use crate::notes::loader::Notes;
use crate::orders::loader::Orders;
use crate::segments::loader::{CustomerSegmentsLoader, MemberCountLoader, SegmentLoader};
use crate::tenancy::TenantId;
use crate::webhooks::loader::{WebhookAttemptLoader, WebhookEndpointLoader, WebhookEventLoader};

/// A field per loader and its accessor, which builds it on first use.
macro_rules! loaders {
    ($($name:ident: $loader:ty = |$db:ident, $tenant:ident| $make:expr;)*) => {
        pub struct Loaders {
            db: DatabaseConnection,
            tenant: TenantId,
            dispatch: Arc<Dispatch>,
            $($name: OnceLock<DataLoader<$loader>>,)*
        }

        impl Loaders {
            /// Loaders of `tenant`.
            pub fn new(db: &DatabaseConnection, tenant: &TenantId) -> Self {
                Self {
                    db: db.clone(),
                    tenant: tenant.clone(),
                    dispatch: Arc::default(),
                    $($name: OnceLock::new(),)*
                }
            }

            /// The request's polls and batches, which the loaders' batches
            /// wait on.
            pub fn dispatch(&self) -> &Arc<Dispatch> {
                &self.dispatch
            }

            $(
                pub fn $name(&self) -> &DataLoader<$loader> {
                    self.$name.get_or_init(|| {
                        let ($db, $tenant) = (self.db.clone(), self.tenant.clone());
                        let dispatch = self.dispatch.clone();
                        DataLoader::new($make, move |batch| {
                            let dispatch = dispatch.clone();
                            tokio::spawn(crate::db::for_same_request(async move {
                                let _running = dispatch.turn().await;
                                batch.await
                            }))
                        })
                        .delay(Duration::ZERO)
                    })
                }
            )*
        }
    };
}

loaders! {
    customers: CustomerLoader = |db, tenant| CustomerLoader { db, tenant };
    tags: TagLoader = |db, tenant| TagLoader { db, tenant };
    orders: ChildLoader<Orders> = |db, tenant| ChildLoader::new(&db, &tenant);
    activity: ChildLoader<Timeline> = |db, tenant| ChildLoader::new(&db, &tenant);
    notes: ChildLoader<Notes> = |db, tenant| ChildLoader::new(&db, &tenant);
    rfm: BreakpointLoader = |db, tenant| BreakpointLoader { db, tenant };
    segments: SegmentLoader = |db, tenant| SegmentLoader { db, tenant };
    member_counts: MemberCountLoader = |db, tenant| MemberCountLoader { db, tenant };
    customer_segments: CustomerSegmentsLoader = |db, tenant| CustomerSegmentsLoader { db, tenant };
    data_requests: DataRequestLoader = |db, tenant| DataRequestLoader { db, tenant };
    audits: AuditLoader = |db, tenant| AuditLoader { db, tenant };
    export_links: ExportLinkLoader = |db, tenant| ExportLinkLoader { db, tenant };
    webhook_endpoints: WebhookEndpointLoader = |db, tenant| WebhookEndpointLoader { db, tenant };
    webhook_events: WebhookEventLoader = |db, tenant| WebhookEventLoader { db, tenant };
    webhook_attempts: WebhookAttemptLoader = |db, tenant| WebhookAttemptLoader { db, tenant };
}
