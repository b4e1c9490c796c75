//! Per-request loaders: requests by key, their audit records and their
//! archives' link keys, one statement per batch.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{data_request, erasure_audit};

use super::repo;
use crate::tenancy::{self, TenantId};

pub struct DataRequestLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for DataRequestLoader {
    type Value = data_request::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = tenancy::find_many::<entity::data_request::Entity>(&self.db, &self.tenant, keys)
            .await?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

pub struct AuditLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for AuditLoader {
    type Value = erasure_audit::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = repo::audits(&self.db, &self.tenant, keys).await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.request_id.clone(), row))
            .collect())
    }
}

/// An unexpired archive's link key and expiry, by request key.
pub struct ExportLinkLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for ExportLinkLoader {
    type Value = (String, chrono::DateTime<chrono::Utc>);
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = repo::export_expiries(&self.db, &self.tenant, keys).await?;
        Ok(rows
            .into_iter()
            .map(|(request, key, expires)| (request, (key, expires)))
            .collect())
    }
}

crate::graphql::tenant_loaders!(DataRequestLoader, AuditLoader, ExportLinkLoader);
