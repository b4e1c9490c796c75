//! A customer's notes as a [`ChildList`], for batch loading.

use std::collections::HashMap;

use entity::note;
use sea_orm::DatabaseConnection;

use super::repo;
use crate::error::AppResult;
use crate::graphql::children::ChildList;
use crate::graphql::pagination::Page;
use crate::tenancy::TenantId;

pub struct Notes;

impl ChildList for Notes {
    type Model = note::Model;
    type Filter = ();

    fn key(row: &note::Model) -> &str {
        &row.id
    }

    fn parent(row: &note::Model) -> &str {
        &row.customer_id
    }

    async fn pages(
        db: &DatabaseConnection,
        tenant: &TenantId,
        parents: &[String],
        page: &Page,
        (): &(),
    ) -> AppResult<Vec<note::Model>> {
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
    ) -> AppResult<Vec<note::Model>> {
        repo::find_many(db, tenant, keys).await
    }
}
