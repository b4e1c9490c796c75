//! The blockers of a page of customers, read together.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::Blocker;
use crate::tenancy::TenantId;

/// Blockers by customer key (none for a customer nothing blocks).
pub struct DeleteBlockersLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for DeleteBlockersLoader {
    type Value = Vec<Blocker>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        Ok(super::blockers(&self.db, &self.tenant, keys).await?)
    }
}

crate::graphql::tenant_loaders!(DeleteBlockersLoader);
