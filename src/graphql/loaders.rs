//! The loaders of one request. Built per request with the viewer's tenant
//! inside, so nothing is cached across requests or tenants.

use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

use super::children::ChildLoader;
use crate::activity::loader::Timeline;
use crate::customers::loader::{CustomerLoader, TagLoader};
use crate::metrics::BreakpointLoader;
use crate::notes::loader::Notes;
use crate::orders::loader::Orders;
use crate::tenancy::TenantId;

pub struct Loaders {
    pub customers: DataLoader<CustomerLoader>,
    pub tags: DataLoader<TagLoader>,
    pub orders: DataLoader<ChildLoader<Orders>>,
    pub activity: DataLoader<ChildLoader<Timeline>>,
    pub notes: DataLoader<ChildLoader<Notes>>,
    pub rfm: DataLoader<BreakpointLoader>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, tenant: &TenantId) -> Self {
        let (db, tenant) = (db.clone(), tenant.clone());
        Self {
            customers: DataLoader::new(
                CustomerLoader {
                    db: db.clone(),
                    tenant: tenant.clone(),
                },
                tokio::spawn,
            ),
            tags: DataLoader::new(
                TagLoader {
                    db: db.clone(),
                    tenant: tenant.clone(),
                },
                tokio::spawn,
            ),
            orders: DataLoader::new(ChildLoader::new(&db, &tenant), tokio::spawn),
            activity: DataLoader::new(ChildLoader::new(&db, &tenant), tokio::spawn),
            notes: DataLoader::new(ChildLoader::new(&db, &tenant), tokio::spawn),
            rfm: DataLoader::new(BreakpointLoader { db, tenant }, tokio::spawn),
        }
    }
}
