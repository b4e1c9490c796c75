//! Per-request batch loaders for customers (read with their tags) and for
//! tags alone, keyed by row key within the request's tenant.

use std::collections::HashMap;

use async_graphql::Context;
use async_graphql::dataloader::Loader;

use super::Customer;
use super::repo;
use crate::graphql::ContextExt;
use crate::tenancy::TenantId;

/// Customers by key, with their tags.
pub struct CustomerLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for CustomerLoader {
    type Value = Customer;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = repo::find_many_with_tags(&self.db, &self.tenant, keys).await?;
        Ok(rows
            .into_iter()
            .map(|(row, tags)| (row.id.clone(), Customer::with_tags(row, tags)))
            .collect())
    }
}

/// The customer a row names (`Order.customer`, `Note.customer`, …),
/// loaded with the others of its level; `None` once it was deleted.
pub async fn customer(ctx: &Context<'_>, key: &str) -> async_graphql::Result<Option<Customer>> {
    ctx.session()?
        .loaders
        .get::<CustomerLoader>()
        .load_one(key.to_owned())
        .await
}

/// A customer's tags by customer key.
pub struct TagLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for TagLoader {
    type Value = Vec<String>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        Ok(repo::tags(&self.db, &self.tenant, keys).await?)
    }
}

crate::graphql::tenant_loaders!(CustomerLoader, TagLoader);
