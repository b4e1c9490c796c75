//! Per-request batch loaders for customers and their tags, keyed by row key
//! within the request's tenant.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::customer;
use sea_orm::DatabaseConnection;

use super::repo;
use crate::tenancy::TenantId;

/// Customers by key.
pub struct CustomerLoader {
    pub db: DatabaseConnection,
    pub tenant: TenantId,
}

impl Loader<String> for CustomerLoader {
    type Value = customer::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = repo::find_many(&self.db, &self.tenant, keys).await?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

/// A customer's tags by customer key.
pub struct TagLoader {
    pub db: DatabaseConnection,
    pub tenant: TenantId,
}

impl Loader<String> for TagLoader {
    type Value = Vec<String>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        Ok(repo::tags(&self.db, &self.tenant, keys).await?)
    }
}
