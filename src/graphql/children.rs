//! One loader for every list that hangs off a customer (orders, activity,
//! notes): a page for many parents in one statement, counts for many
//! parents in one statement, and rows by key for `node`.
//!
//! A feature describes its list with [`ChildList`]; [`ChildLoader`] does
//! the batching.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::marker::PhantomData;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;

use super::pagination::{ChildCount, ChildPage, Page, load_child_counts, load_child_pages};
use crate::error::AppResult;
use crate::tenancy::TenantId;

/// A list of rows that belong to a customer.
pub trait ChildList: Send + Sync + 'static {
    type Model: Clone + Send + Sync + 'static;
    /// The list's filter arguments (`()` for none).
    type Filter: Clone + Eq + Hash + Send + Sync + 'static;

    fn key(row: &Self::Model) -> &str;
    fn parent(row: &Self::Model) -> &str;

    /// One page of each parent's rows, in one statement.
    fn pages(
        db: &DatabaseConnection,
        tenant: &TenantId,
        parents: &[String],
        page: &Page,
        filter: &Self::Filter,
    ) -> impl Future<Output = AppResult<Vec<Self::Model>>> + Send;

    /// How many rows each parent has, in one statement.
    fn counts(
        db: &DatabaseConnection,
        tenant: &TenantId,
        parents: &[String],
        filter: &Self::Filter,
    ) -> impl Future<Output = AppResult<HashMap<String, u64>>> + Send;

    fn find_many(
        db: &DatabaseConnection,
        tenant: &TenantId,
        keys: &[String],
    ) -> impl Future<Output = AppResult<Vec<Self::Model>>> + Send;
}

/// The loader of one [`ChildList`] within one request's tenant.
pub struct ChildLoader<C> {
    db: DatabaseConnection,
    tenant: TenantId,
    list: PhantomData<C>,
}

impl<C> ChildLoader<C> {
    pub fn new(db: &DatabaseConnection, tenant: &TenantId) -> Self {
        Self {
            db: db.clone(),
            tenant: tenant.clone(),
            list: PhantomData,
        }
    }
}

impl<C: ChildList> Loader<ChildPage<C::Filter>> for ChildLoader<C> {
    type Value = Vec<C::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ChildPage<C::Filter>],
    ) -> Result<HashMap<ChildPage<C::Filter>, Self::Value>, Self::Error> {
        Ok(
            load_child_pages(keys, C::parent, |parents, page, filter| async move {
                C::pages(&self.db, &self.tenant, &parents, &page, &filter).await
            })
            .await?,
        )
    }
}

impl<C: ChildList> Loader<ChildCount<C::Filter>> for ChildLoader<C> {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ChildCount<C::Filter>],
    ) -> Result<HashMap<ChildCount<C::Filter>, u64>, Self::Error> {
        Ok(load_child_counts(keys, |parents, filter| async move {
            C::counts(&self.db, &self.tenant, &parents, &filter).await
        })
        .await?)
    }
}

impl<C: ChildList> Loader<String> for ChildLoader<C> {
    type Value = C::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, C::Model>, Self::Error> {
        let rows = C::find_many(&self.db, &self.tenant, keys).await?;
        Ok(rows
            .into_iter()
            .map(|row| (C::key(&row).to_owned(), row))
            .collect())
    }
}
