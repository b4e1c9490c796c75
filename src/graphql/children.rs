//! One mechanism for every list that hangs off a customer (orders,
//! activity, notes): a page for many parents in one statement, counts for
//! many parents in one statement, rows by key for `node`, and the Relay
//! connection a `Customer` field returns.
//!
//! A feature describes its list with [`ChildList`]; [`ChildLoader`] does
//! the batching and [`connection`] the resolving.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, OutputType};
use futures_util::FutureExt as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use super::pagination::{
    ChildCount, ChildPage, Keyset, ListConnection, Page, TotalCount, count_per_parent,
    load_child_counts, load_child_pages,
};
use super::{ContextExt, Loaders, TenantLoader};
use crate::db::Reads;
use crate::error::{AppError, AppResult};
use crate::tenancy::{self, TenantId, TenantOwned};

/// A list of rows that belong to a customer.
pub trait ChildList: Send + Sync + 'static {
    type Entity: TenantOwned<Model: Clone + Send + Sync>;
    /// The list's filter arguments (`()` for none).
    type Filter: Clone + Eq + Hash + Send + Sync + 'static;

    /// The column naming the customer.
    fn parent_column() -> <Self::Entity as EntityTrait>::Column;
    fn id_column() -> <Self::Entity as EntityTrait>::Column;
    fn key(row: &<Self::Entity as EntityTrait>::Model) -> &str;
    fn parent(row: &<Self::Entity as EntityTrait>::Model) -> &str;
    /// The list's order.
    fn keyset(page: &Page) -> Keyset<'_, Self::Entity>;
    /// The filter as a condition; none by default.
    fn condition(_filter: &Self::Filter) -> Condition {
        Condition::all()
    }
}

type Row<C> = <<C as ChildList>::Entity as EntityTrait>::Model;

/// The loader of one [`ChildList`] within one request's tenant.
pub struct ChildLoader<C> {
    db: Reads,
    tenant: TenantId,
    list: PhantomData<C>,
}

impl<C> ChildLoader<C> {
    pub fn new(db: &Reads, tenant: &TenantId) -> Self {
        Self {
            db: db.clone(),
            tenant: tenant.clone(),
            list: PhantomData,
        }
    }
}

impl<C: ChildList> TenantLoader for ChildLoader<C> {
    fn for_tenant(db: Reads, tenant: TenantId) -> Self {
        Self::new(&db, &tenant)
    }
}

impl<C: ChildList> Loader<ChildPage<C::Filter>> for ChildLoader<C> {
    type Value = Vec<Row<C>>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ChildPage<C::Filter>],
    ) -> Result<HashMap<ChildPage<C::Filter>, Self::Value>, Self::Error> {
        Ok(
            load_child_pages(keys, C::parent, |parents, page, filter| async move {
                let query =
                    tenancy::select::<C::Entity>(&self.tenant).filter(C::condition(&filter));
                C::keyset(&page)
                    .fetch_per_parent(&self.db, query, C::parent_column(), &parents)
                    .await
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
            let query = tenancy::select::<C::Entity>(&self.tenant).filter(C::condition(&filter));
            count_per_parent(&self.db, query, C::parent_column(), &parents).await
        })
        .await?)
    }
}

impl<C: ChildList> Loader<String> for ChildLoader<C> {
    type Value = Row<C>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Row<C>>, Self::Error> {
        let rows = tenancy::select::<C::Entity>(&self.tenant)
            .filter(C::id_column().is_in(keys.iter().cloned()))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|row| (C::key(&row).to_owned(), row))
            .collect())
    }
}

/// A customer field's connection: the parent's page, loaded with the pages
/// of the other parents of the response, and a `totalCount` counted (in
/// one batch too) only when selected.
pub async fn connection<C: ChildList, N: OutputType>(
    ctx: &Context<'_>,
    parent: &str,
    page: Page,
    filter: C::Filter,
    node: impl Fn(Row<C>) -> N,
) -> async_graphql::Result<ListConnection<N>> {
    let session = ctx.session()?;
    let key = ChildPage {
        parent: parent.to_owned(),
        page: page.clone(),
        filter: filter.clone(),
    };
    let rows = session
        .loaders
        .get::<ChildLoader<C>>()
        .load_one(key)
        .await?
        .unwrap_or_default();
    let total = total::<C>(&session.loaders, parent, filter);
    Ok(C::keyset(&page).connection(rows, node, total))
}

/// The same page of many parents' lists, in one batch: the connections a
/// value built ahead (`ready`) is made of, by parent. The batch is the
/// whole of the page's parents already, so it is read at once through the
/// loader's own batch: not queued for the level's dispatch, nor its rows
/// copied out of the request's cache.
pub async fn connections<C: ChildList, N: OutputType>(
    ctx: &Context<'_>,
    parents: &[&str],
    page: &Page,
    filter: C::Filter,
    node: impl Fn(Row<C>) -> N,
) -> async_graphql::Result<HashMap<String, ListConnection<N>>> {
    let session = ctx.session()?;
    let keys: Vec<ChildPage<C::Filter>> = parents
        .iter()
        .map(|parent| ChildPage {
            parent: (*parent).to_owned(),
            page: page.clone(),
            filter: filter.clone(),
        })
        .collect();
    let loader = session.loaders.get::<ChildLoader<C>>();
    let mut rows = Loader::load(loader.loader(), &keys).await?;
    Ok(keys
        .into_iter()
        .map(|key| {
            let found = rows.remove(&key).unwrap_or_default();
            let total = total::<C>(&session.loaders, &key.parent, key.filter);
            (key.parent, C::keyset(page).connection(found, &node, total))
        })
        .collect())
}

/// A parent's `totalCount`, counted with the other parents' when selected.
fn total<C: ChildList>(loaders: &Arc<Loaders>, parent: &str, filter: C::Filter) -> TotalCount {
    let loaders = loaders.clone();
    let key = ChildCount {
        parent: parent.to_owned(),
        filter,
    };
    TotalCount::new(move || {
        let (loaders, key) = (loaders.clone(), key.clone());
        async move {
            let loader = loaders.get::<ChildLoader<C>>();
            Ok(loader.load_one(key).await?.unwrap_or_default())
        }
        .boxed()
    })
}

/// Moves every row of the list from one customer to another (merge).
pub async fn reassign<C: ChildList>(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    from: &str,
    to: &str,
) -> AppResult<()> {
    tenancy::update::<C::Entity>(tenant)
        .col_expr(C::parent_column(), Expr::val(to))
        .filter(C::parent_column().eq(from))
        .exec(db)
        .await?;
    Ok(())
}
