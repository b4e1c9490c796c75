//! The loaders of one request. Built per request with the viewer's tenant
//! inside, so nothing is cached across requests or tenants; each is made on
//! first use, by its type (a subscription, which lives long, uses one or
//! two). A batch runs when the request is idle ([`Dispatch`]): one
//! statement per loader per level.
//!
//! Features declare their loaders with [`TenantLoader`]; this module names
//! none of them.

use std::any::{Any, TypeId};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};

use super::dispatch::Dispatch;
use crate::db::Reads;
use crate::ids::Key;
use crate::tenancy::TenantId;

/// A batch loader of one tenant's rows.
pub trait TenantLoader: Send + Sync + 'static {
    fn for_tenant(db: Reads, tenant: TenantId) -> Self;
}

/// Implements [`TenantLoader`] for loaders that are a `db` and a `tenant`.
macro_rules! tenant_loaders {
    ($($loader:ty),+ $(,)?) => {
        $(impl crate::graphql::TenantLoader for $loader {
            fn for_tenant(db: crate::db::Reads, tenant: crate::tenancy::TenantId) -> Self {
                Self { db, tenant }
            }
        })+
    };
}

pub(crate) use tenant_loaders;

type Made = Vec<(TypeId, Arc<dyn Any + Send + Sync>)>;

pub struct Loaders {
    db: Reads,
    tenant: TenantId,
    dispatch: Arc<Dispatch>,
    /// The loaders made so far: a request uses a handful.
    made: Mutex<Made>,
}

impl Loaders {
    /// Loaders of `tenant`.
    pub fn new(db: &Reads, tenant: &TenantId) -> Self {
        Self {
            db: db.clone(),
            tenant: tenant.clone(),
            dispatch: Arc::default(),
            made: Mutex::default(),
        }
    }

    /// The request's polls and batches, which the loaders' batches wait on.
    pub fn dispatch(&self) -> &Arc<Dispatch> {
        &self.dispatch
    }

    /// The request's loader of type `T`, made on first use.
    /// What the row of a decoded ID loads to through the loader `T`;
    /// `None` when the ID was of another kind (`key` is `None`) or names no
    /// row of the tenant.
    pub async fn load_key<T, K>(
        &self,
        key: Option<Key<K>>,
    ) -> async_graphql::Result<Option<T::Value>>
    where
        T: TenantLoader + Loader<String, Error = async_graphql::Error>,
    {
        match key {
            Some(key) => self.get::<T>().load_one(key.into_string()).await,
            None => Ok(None),
        }
    }

    pub fn get<T: TenantLoader>(&self) -> Arc<DataLoader<T>> {
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        let found = made
            .iter()
            .find(|(id, _)| *id == TypeId::of::<T>())
            .map(|(_, loader)| loader.clone());
        if let Some(loader) = found.and_then(|loader| loader.downcast().ok()) {
            return loader;
        }
        let loader = Arc::new(self.make::<T>());
        made.push((TypeId::of::<T>(), loader.clone()));
        loader
    }

    fn make<T: TenantLoader>(&self) -> DataLoader<T> {
        let dispatch = self.dispatch.clone();
        let loader = T::for_tenant(self.db.clone(), self.tenant.clone());
        DataLoader::new(loader, move |batch| {
            let dispatch = dispatch.clone();
            tokio::spawn(crate::db::for_same_request(async move {
                let _running = dispatch.turn().await;
                batch.await
            }))
        })
        .delay(Duration::ZERO)
    }
}
