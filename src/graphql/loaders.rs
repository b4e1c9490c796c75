//! The loaders of one request. Built per request with the viewer's tenant
//! inside, so nothing is cached across requests or tenants.

use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

use super::children::ChildLoader;
use crate::activity::loader::Timeline;
use crate::customers::loader::{CustomerLoader, TagLoader};
use crate::metrics::BreakpointLoader;
use crate::notes::loader::Notes;
use crate::orders::loader::Orders;
use crate::segments::loader::{CustomerSegmentsLoader, MemberCountLoader, SegmentLoader};
use crate::tenancy::TenantId;

pub struct Loaders {
    pub customers: DataLoader<CustomerLoader>,
    pub tags: DataLoader<TagLoader>,
    pub orders: DataLoader<ChildLoader<Orders>>,
    pub activity: DataLoader<ChildLoader<Timeline>>,
    pub notes: DataLoader<ChildLoader<Notes>>,
    pub rfm: DataLoader<BreakpointLoader>,
    pub segments: DataLoader<SegmentLoader>,
    pub member_counts: DataLoader<MemberCountLoader>,
    pub customer_segments: DataLoader<CustomerSegmentsLoader>,
}

impl Loaders {
    /// Loaders of `tenant` that gather keys for `window` before loading.
    pub fn new(db: &DatabaseConnection, tenant: &TenantId, window: Duration) -> Self {
        let (db, tenant) = (db.clone(), tenant.clone());
        fn batched<T>(loader: T, window: Duration) -> DataLoader<T> {
            DataLoader::new(loader, tokio::spawn).delay(window)
        }
        Self {
            customers: batched(
                CustomerLoader {
                    db: db.clone(),
                    tenant: tenant.clone(),
                },
                window,
            ),
            tags: batched(
                TagLoader {
                    db: db.clone(),
                    tenant: tenant.clone(),
                },
                window,
            ),
            orders: batched(ChildLoader::new(&db, &tenant), window),
            activity: batched(ChildLoader::new(&db, &tenant), window),
            notes: batched(ChildLoader::new(&db, &tenant), window),
            rfm: batched(
                BreakpointLoader {
                    db: db.clone(),
                    tenant: tenant.clone(),
                },
                window,
            ),
            segments: batched(
                SegmentLoader {
                    db: db.clone(),
                    tenant: tenant.clone(),
                },
                window,
            ),
            member_counts: batched(
                MemberCountLoader {
                    db: db.clone(),
                    tenant: tenant.clone(),
                },
                window,
            ),
            customer_segments: batched(CustomerSegmentsLoader { db, tenant }, window),
        }
    }
}
