//! Per-request batch loaders: locations by key, and each customer's.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::location;

use crate::tenancy::{self, TenantId};

/// Locations by key.
pub struct LocationLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for LocationLoader {
    type Value = location::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = tenancy::find_many::<location::Entity>(&self.db, &self.tenant, keys).await?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

/// The keys of each customer's locations, in the order it joined them.
pub struct CustomerLocationsLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for CustomerLocationsLoader {
    type Value = Vec<String>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        Ok(super::members::of_customers(&self.db, &self.tenant, keys).await?)
    }
}

crate::graphql::tenant_loaders!(LocationLoader, CustomerLocationsLoader);
