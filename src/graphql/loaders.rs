//! The loaders of one request. Built per request with the viewer's tenant
//! inside, so nothing is cached across requests or tenants.

use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

use crate::customers::loader::{CustomerLoader, TagLoader};
use crate::tenancy::TenantId;

pub struct Loaders {
    pub customers: DataLoader<CustomerLoader>,
    pub tags: DataLoader<TagLoader>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, tenant: &TenantId) -> Self {
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
        }
    }
}
