//! The timeline as a [`ChildList`] of customers, for batch loading.

use std::collections::HashMap;

use entity::activity;
use sea_orm::DatabaseConnection;

use super::repo::{self, ActivityFilter};
use crate::error::AppResult;
use crate::graphql::children::ChildList;
use crate::graphql::pagination::Page;
use crate::tenancy::TenantId;

pub struct Timeline;

impl ChildList for Timeline {
    type Model = activity::Model;
    type Filter = ActivityFilter;

    fn key(row: &activity::Model) -> &str {
        &row.id
    }

    fn parent(row: &activity::Model) -> &str {
        &row.customer_id
    }

    async fn pages(
        db: &DatabaseConnection,
        tenant: &TenantId,
        parents: &[String],
        page: &Page,
        filter: &ActivityFilter,
    ) -> AppResult<Vec<activity::Model>> {
        repo::pages(db, tenant, parents, page, filter).await
    }

    async fn counts(
        db: &DatabaseConnection,
        tenant: &TenantId,
        parents: &[String],
        filter: &ActivityFilter,
    ) -> AppResult<HashMap<String, u64>> {
        repo::counts(db, tenant, parents, filter).await
    }

    async fn find_many(
        db: &DatabaseConnection,
        tenant: &TenantId,
        keys: &[String],
    ) -> AppResult<Vec<activity::Model>> {
        repo::find_many(db, tenant, keys).await
    }
}
