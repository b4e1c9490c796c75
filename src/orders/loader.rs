//! A customer's orders as a [`ChildList`], for batch loading.

use std::collections::HashMap;

use entity::order;
use sea_orm::DatabaseConnection;

use super::repo;
use crate::error::AppResult;
use crate::graphql::children::ChildList;
use crate::graphql::pagination::Page;
use crate::tenancy::TenantId;

pub struct Orders;

impl ChildList for Orders {
    type Model = order::Model;
    type Filter = ();

    fn key(row: &order::Model) -> &str {
        &row.id
    }

    fn parent(row: &order::Model) -> &str {
        row.customer_id.as_deref().unwrap_or_default()
    }

    async fn pages(
        db: &DatabaseConnection,
        tenant: &TenantId,
        parents: &[String],
        page: &Page,
        (): &(),
    ) -> AppResult<Vec<order::Model>> {
        repo::pages(db, tenant, parents, page).await
    }

    async fn counts(
        db: &DatabaseConnection,
        tenant: &TenantId,
        parents: &[String],
        (): &(),
    ) -> AppResult<HashMap<String, u64>> {
        repo::counts(db, tenant, parents).await
    }

    async fn find_many(
        db: &DatabaseConnection,
        tenant: &TenantId,
        keys: &[String],
    ) -> AppResult<Vec<order::Model>> {
        repo::find_many(db, tenant, keys).await
    }
}
