//! Per-request batch loaders: companies by key, and their totals.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::company;

use super::repo::{self, Totals};
use crate::tenancy::TenantId;

/// Companies by key.
pub struct CompanyLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for CompanyLoader {
    type Value = company::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = repo::find_many(&self.db, &self.tenant, keys).await?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

/// What each company's customers add up to, by company key (none for a
/// company without customers).
pub struct CompanyTotalsLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for CompanyTotalsLoader {
    type Value = Totals;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        Ok(repo::totals(&self.db, &self.tenant, keys).await?)
    }
}

crate::graphql::tenant_loaders!(CompanyLoader, CompanyTotalsLoader);
